"""Behaviour flags and outcomes: the flag export, the with/without comparison and its
spreadsheet."""
