"""What every example shares: its command line (``--quick``, ``--out``) and its figure file.

Not an example itself: the scripts beside it import it (``python examples/x.py``
puts this folder first on the import path). Importing it selects matplotlib's
Agg backend, so the scripts draw without a display.
"""

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")


def example_parser(doc, quick):
    """The command line of an example: its docstring's first paragraph, ``--quick``, ``--out``.

    Parameters
    ----------
    doc : str
        The script's docstring; its first paragraph is the ``--help`` description.
    quick : str
        What ``--quick`` reduces, for ``--help`` (what tests/test_examples.py runs).

    Returns
    -------
    argparse.ArgumentParser
        The parser, for the script to add its own arguments to.
    """
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=quick)
    parser.add_argument("--out", type=Path, default=Path("."),
                        help="folder of the figure (default: the current folder; "
                             "`make figures` writes docs/figures/)")
    return parser


def save_figure(fig, out, name, dpi=110):
    """Write ``fig`` as ``out/name`` (creating the folder) and print its path.

    The line ``figure: PATH`` is what tests/test_examples.py looks for.
    """
    out.mkdir(parents=True, exist_ok=True)
    path = out / name
    fig.savefig(path, dpi=dpi)
    print(f"figure: {path}")
    return path
