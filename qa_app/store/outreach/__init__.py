"""Outreach: alerts (run, claim, close, opt out) and what happened after them."""
