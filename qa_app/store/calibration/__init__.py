"""Calibration sessions: creating and running them, panelists' links, and their results and
reports."""
