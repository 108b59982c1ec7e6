"""Humane outreach: rules, signals, the alert engine, the opening line and what happened next."""
