"""Pre-registered experiments: the plan file, assignment and randomisation, power, contamination
and the analysis."""
