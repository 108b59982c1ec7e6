"""The rubric: its file format and operational point definitions, scoring a review, and each call's
final scores."""
