"""Sampling plans that oversample hard calls, and design-based estimates weighted back to the
mix."""
