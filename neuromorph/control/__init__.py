"""Closed-loop neuromodulation and yield (issue 22): a rhythm specification as data, the fraction of mismatched
chips that meet it, with confidence intervals.

The rhythm is always measured by the package's own spike analysis on a run (:mod:`neuromorph.analysis`), never
read back from a controller.
"""

from .chips import ChipsControl
from .controller import RhythmController
from .loop import ControlLoop, ControlResult
from .design import AreaDesign, YieldDesign, area_for_yield, design_for_yield
from .disturbance import Cancellation, cancel_synapse
from .rhythm import Rhythm, RhythmReport
from .yields import Retuning, YieldResult, chips_needed, retune, yield_interval, yield_of

__all__ = ["Rhythm", "RhythmReport", "RhythmController", "ControlResult", "ControlLoop", "ChipsControl", "yield_of", "YieldResult", "yield_interval", "chips_needed", "retune",
           "Retuning", "cancel_synapse", "Cancellation",
           "design_for_yield", "YieldDesign", "area_for_yield", "AreaDesign"]
