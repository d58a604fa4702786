"""JAX's persistent compilation cache in a user cache folder.

A new process (a ``GridSearchCV`` or ``n_jobs`` worker, the next session) then
loads the kernels' executables that an earlier process compiled instead of
compiling them again. The folder is, in this order:

- ``$SKATTN_COMPILATION_CACHE`` if set: a folder, or ``0``/``off``/``false``/``no``
  (or empty) to turn the cache off;
- ``$XDG_CACHE_HOME/skattn/jax`` if ``XDG_CACHE_HOME`` is set (an absolute path);
- ``~/.cache/skattn/jax``.

A cache the user configured for JAX (``JAX_COMPILATION_CACHE_DIR`` or
``jax.config.update("jax_compilation_cache_dir", ...)`` before importing
skattn) is left as it is. JAX reads the setting at its first compilation, so
skattn sets it when :mod:`skattn.kernels` is imported; the cache then also keeps
other JAX programs of the process that take over a second to compile.
"""

import os
from pathlib import Path

import jax

#: The environment variable that moves the cache or turns it off.
ENV = "SKATTN_COMPILATION_CACHE"
OFF = ("", "0", "off", "false", "no")


def cache_folder(environ=None):
    """The cache folder the environment asks for, or None for no cache."""
    environ = os.environ if environ is None else environ
    value = environ.get(ENV)
    if value is not None:
        return None if value.strip().lower() in OFF else Path(value).expanduser()
    xdg = environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "skattn" / "jax"


def use_compilation_cache():
    """Point JAX's persistent cache at :func:`cache_folder` unless a cache is set already.

    Returns the folder JAX caches in (None: no cache).
    """
    configured = jax.config.jax_compilation_cache_dir
    if configured is not None:
        return Path(configured)
    folder = cache_folder()
    if folder is not None:
        jax.config.update("jax_compilation_cache_dir", str(folder))
    return folder
