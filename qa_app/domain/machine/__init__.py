"""The machine rater: trained on the team's own reviews, measured like any other rater.

``training`` builds the examples and models, ``evaluation`` puts their held-out scores
against people's, ``scoring`` scores new calls with their evidence turns, ``stored`` keeps
a model as bytes that load only the types a model is made of.
"""
