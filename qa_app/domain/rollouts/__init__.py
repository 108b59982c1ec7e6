"""Phased rollouts as natural experiments: rollout files, difference-in-differences, robustness,
synthetic control and the instrument."""
