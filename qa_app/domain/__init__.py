"""The domain layer: plain Python, no Flask and no database. One package per capability."""
