"""Lagged and dosed panel models of outcomes over time, and their analysis plan files."""
