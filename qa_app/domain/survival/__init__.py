"""Customers over time: cohorts, Kaplan-Meier, log-rank, Cox and RMST (lifelines)."""
