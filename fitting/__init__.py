"""Calibration: data and targets with provenance, objectives, estimation, profiles.

Empty until the fitting issue (6) lands; imported as ``follicle.fitting``.
"""
