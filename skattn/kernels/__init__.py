"""Kernels of infinitely wide attention networks, in pure JAX.

Each layer is a pure map from the kernel state of its inputs (NNGP, NTK,
per-sequence token covariances and token masks) to that of its outputs;
``serial`` and ``residual`` compose them, and calling a composition on padded
sequences evaluates its kernel.
"""

from ._activations import Erf, Gelu, Identity, Relu, activation
from ._attention import SelfAttention
from ._base import Layer, hyperparameter, sublayers
from ._compilation_cache import use_compilation_cache
from ._compose import Residual, Serial, residual, serial
from ._conv import Conv1D
from ._dense import Dense
from ._layernorm import LayerNorm
from ._paper import paper_imdb
from ._pooling import AvgPool1D, GlobalAvgPool
from ._state import KernelState
from .transformer import TRANSFORMER_DEFAULTS, transformer

use_compilation_cache()  # before JAX's first compilation reads the setting

__all__ = [
    "AvgPool1D", "Conv1D", "Dense", "Erf", "Gelu", "GlobalAvgPool", "Identity",
    "KernelState", "Layer", "LayerNorm", "Relu", "Residual", "SelfAttention", "Serial",
    "TRANSFORMER_DEFAULTS", "activation", "hyperparameter", "paper_imdb", "residual",
    "serial", "sublayers", "transformer",
]
