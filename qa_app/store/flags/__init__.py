"""Behaviour flags: each reviewed call's final scores and flags, the coach's exports and the
weighted flag summaries."""
