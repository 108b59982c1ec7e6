"""Panel models of outcomes over time: stored analysis plans and the monthly panel read from the
database."""
