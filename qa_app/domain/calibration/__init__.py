"""Calibration sessions: their rules, the dashboard, rater drift and the session report."""
