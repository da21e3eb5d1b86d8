"""Compatibility: ``module: chaosguard.safety.guard`` in experiment files keeps working.

The control lives in :mod:`chaosguard.guard.control`; these are the same hook functions (one
session per process, so wiring both names still guards the run once).
"""

from chaosguard.guard.control import *  # noqa: F403 - exactly the control's hooks
from chaosguard.guard.control import __all__ as __all__
