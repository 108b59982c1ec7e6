"""Validating import files row by row: calls, customers, outcomes, reviews and calibration
ratings."""
