"""Command line: ``python -m skattn`` (what it can do) and ``python -m skattn demo``."""

import argparse
import sys
import time

EPILOG = """\
examples:
  python -m skattn demo                   digits as sequences: NTK classifier against an SVC
  python -m skattn demo --dtype float32   the same in single precision

In Python: from skattn import AttentionNTKClassifier (and AttentionNTKRegressor,
AttentionNNGPClassifier, AttentionNNGPRegressor, SequencePadder, SequenceScaler);
kernels alone: from skattn.kernels import transformer.

JAX's compilations are kept in ~/.cache/skattn/jax for the next process;
SKATTN_COMPILATION_CACHE=off turns that off (see the user guide)."""


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m skattn",
        description="Infinite-width attention networks (NNGP and NTK kernels) as "
                    "scikit-learn estimators.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", title="commands")
    demo = commands.add_parser(
        "demo", help="classify digits read as sequences of pixel rows",
        description="Fit an AttentionNTKClassifier on scikit-learn's digits, each "
                    "image a sequence of 8 rows of 8 pixels, and compare it with an "
                    "RBF SVC on the same split.")
    demo.add_argument("--n-train", type=int, default=1000,
                      help="number of training digits (default: 1000 of 1797)")
    demo.add_argument("--seed", type=int, default=0, help="seed of the split")
    demo.add_argument("--dtype", choices=["float64", "float32"], default="float64",
                      help="precision of the kernel computation")
    args = parser.parse_args(argv)
    if args.command is None:  # nothing asked: say what can be asked
        parser.print_help()
        return 0

    from . import _demo

    start = time.perf_counter()
    _demo.run(n_train=args.n_train, seed=args.seed, dtype=args.dtype)
    print(f"Total time, JAX start-up and compilation included: "
          f"{time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
