"""Experiments: stored plans, locking and assignment, exposures, and the report's data."""
