"""Finite-width attention networks and Monte Carlo estimates of their kernels.

:func:`finite` builds, from any kernel layer or composition of
:mod:`skattn.kernels`, the network of finite width whose kernels the layer
computes in the limit: ``params = net.init(key, X)``, ``net.apply(params, X)``.
:func:`monte_carlo_kernel` averages sampled networks into an estimate of the
NNGP and the NTK, also where no closed form exists (softmax attention with
``1/sqrt(d)`` logits).
"""

from . import (_activations, _attention, _compose, _conv, _dense, _layernorm,  # noqa: F401
               _pooling)
from ._base import FiniteLayer, Network, counterpart, finite
from ._monte_carlo import monte_carlo_kernel

__all__ = ["FiniteLayer", "Network", "counterpart", "finite", "monte_carlo_kernel"]
