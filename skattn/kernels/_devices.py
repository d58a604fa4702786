"""Which device computes: a picklable name, resolved when a kernel is computed."""

import jax


def resolve_device(device):
    """The :class:`jax.Device` that ``device`` names, or None for every device.

    Estimators keep the name, a string, so that they can be cloned, pickled
    and sent to worker processes; this turns it into a device where the work
    is done.

    Parameters
    ----------
    device : str, jax.Device or None
        ``"cpu"``, ``"gpu"``, ``"tpu"`` (the first device of that platform) or
        ``"gpu:1"`` (the second one); a :class:`jax.Device` is returned as it
        is; None stays None (the engine spreads over ``jax.devices()``).

    Returns
    -------
    jax.Device or None

    Raises
    ------
    ValueError
        If no device of that platform or index is available.

    Examples
    --------
    >>> resolve_device("cpu:0").platform
    'cpu'
    >>> resolve_device(None) is None
    True
    """
    if device is None or isinstance(device, jax.Device):
        return device
    if not isinstance(device, str):
        raise TypeError(
            f"device must be a string such as 'cpu', 'gpu' or 'gpu:1', a jax.Device or "
            f"None; got {device!r}."
        )
    platform, _, index = device.partition(":")
    try:
        devices = jax.devices(platform)
    except RuntimeError as error:
        raise ValueError(
            f"device={device!r} names no available platform: this JAX has "
            f"{sorted({d.platform for d in jax.devices()})} ({error})."
        ) from error
    if index == "":
        return devices[0]
    if not index.isdigit() or int(index) >= len(devices):
        raise ValueError(
            f"device={device!r}: the index must be an integer below {len(devices)}, the "
            f"number of {platform} devices."
        )
    return devices[int(index)]
