"""Estimation: a neuron's or a network's gains read back from a measured voltage trace (issue 21).

The model gives the structure (elements, offsets, filter time constants: design values); the trace gives the
membrane voltages and the applied current; the gains (``alpha`` of each localized conductance, ``g`` of the
leak and of each synapse or gap junction, ``g_max`` of gated conductances) are what is estimated. The model is
linear in them (:mod:`.regressor`), so batch least squares and the adaptive observer of Burghi & Sepulchre
apply as they are.
"""

from .estimate import AdaptiveObserver, estimate
from .lanes import EnsembleEstimates
from .result import Estimate

__all__ = ["estimate", "Estimate", "AdaptiveObserver", "EnsembleEstimates"]
