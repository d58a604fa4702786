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
other JAX programs of the process that take over half a second to compile.

JAX keeps only programs that took at least
``jax_persistent_cache_min_compile_time_secs`` to compile, 1 s by default, and
skattn's programs for small inputs compile in 0.7-0.9 s on a 2-core CPU, so
they were never kept.  Where skattn sets the folder it also lowers that
threshold to :data:`MIN_COMPILE_SECONDS`, unless the user set it
(``JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS``, or a value other than JAX's
default): a new process's first fit on 300 digits then took 1.4-1.5 s instead
of 3.3 s, with two entries (132 kB) in the folder.
"""

import os
from pathlib import Path

import jax

#: The environment variable that moves the cache or turns it off.
ENV = "SKATTN_COMPILATION_CACHE"
OFF = ("", "0", "off", "false", "no")
#: Programs that compile at least this long (seconds) are kept, where skattn sets
#: the folder: above the milliseconds of JAX's one-operation programs, below the
#: 0.7-0.9 s of a small kernel's two.
MIN_COMPILE_SECONDS = 0.5
#: JAX's own threshold, and the variable that sets it.
JAX_MIN_COMPILE_SECONDS, JAX_MIN_COMPILE_ENV = 1.0, "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"


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
        threshold = jax.config.jax_persistent_cache_min_compile_time_secs
        if JAX_MIN_COMPILE_ENV not in os.environ and threshold == JAX_MIN_COMPILE_SECONDS:
            jax.config.update("jax_persistent_cache_min_compile_time_secs",
                              MIN_COMPILE_SECONDS)
    return folder
