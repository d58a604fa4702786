"""Construction-time checks shared by the layers."""


def check_nonnegative(layer, *names):
    for name in names:
        value = getattr(layer, name)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not value >= 0:
            raise ValueError(
                f"{type(layer).__name__}: {name} must be a non-negative number; "
                f"got {value!r}."
            )


def check_option(layer, name, options):
    value = getattr(layer, name)
    if value not in options:
        allowed = ", ".join(repr(o) for o in options)
        raise ValueError(
            f"{type(layer).__name__}: {name} must be one of {allowed}; got {value!r}."
        )
