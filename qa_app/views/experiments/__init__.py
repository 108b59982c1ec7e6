"""Experiment pages: the list, a plan, its report, the New experiment form and amendments."""
