"""Sampling plans: stored plans and their draws, and the design weight every reviewed call
carries."""
