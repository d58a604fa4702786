"""Construction-time checks shared by the layers."""


def check_option(layer, name, options):
    value = getattr(layer, name)
    if value not in options:
        allowed = ", ".join(repr(o) for o in options)
        raise ValueError(
            f"{type(layer).__name__}: {name} must be one of {allowed}; got {value!r}."
        )
