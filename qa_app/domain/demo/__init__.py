"""The demo data set: calls built from scenarios, and customers with their events."""
