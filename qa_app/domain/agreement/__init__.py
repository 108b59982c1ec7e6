"""Inter-rater agreement: Krippendorff's alpha with bootstrap intervals, AC2, diagnostics.

Pure Python and NumPy: long-format ratings in, a report out. The web pages, the
exports and ``qa-app agreement`` all call :func:`compute_agreement`.
"""

from qa_app.domain.agreement.ratings import LEVELS, Rating, RatingsError, ratings_from_table
from qa_app.domain.agreement.report import AgreementReport, DimensionResult, compute_agreement

__all__ = [
    "LEVELS",
    "AgreementReport",
    "DimensionResult",
    "Rating",
    "RatingsError",
    "compute_agreement",
    "ratings_from_table",
]
