"""Reviewer pages: the queue, scoring a call (keyboard-first, autosaved) and assigning calls."""
