"""Old import paths that users' experiment files name; the code lives in the layers below.

``chaosguard.safety.guard`` (the control module of every guarded experiment written before the
layers had names) re-exports :mod:`chaosguard.guard.control`. Nothing inside chaosguard imports
this package.
"""
