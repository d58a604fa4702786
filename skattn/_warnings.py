"""Warnings attributed to the caller's line, the first one outside skattn."""

import inspect
import os
import warnings

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def warn(message, category=UserWarning):
    """``warnings.warn`` naming the first frame outside skattn.

    A fixed ``stacklevel`` names the right line for one call path only (a
    classifier's ``fit`` runs one frame deeper than a regressor's). Python
    3.12's ``skip_file_prefixes`` does the same; skattn supports 3.11.
    """
    level, frame = 2, inspect.currentframe().f_back  # 2: warn's caller
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE):
        level, frame = level + 1, frame.f_back
    warnings.warn(message, category, stacklevel=level)
