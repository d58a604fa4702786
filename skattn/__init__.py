"""skattn: infinite-width attention networks as scikit-learn estimators."""

__version__ = "0.1.0"

from ._base import InconsistentVersionWarning
from .classification import AttentionNNGPClassifier, AttentionNTKClassifier
from .preprocessing import SequencePadder, SequenceScaler
from .regression import AttentionNNGPRegressor, AttentionNTKRegressor
from .text import TokenEmbedder, load_glove

__all__ = [
    "AttentionNNGPClassifier", "AttentionNNGPRegressor", "AttentionNTKClassifier",
    "AttentionNTKRegressor", "InconsistentVersionWarning", "SequencePadder",
    "SequenceScaler", "TokenEmbedder", "load_glove",
]
