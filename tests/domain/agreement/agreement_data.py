"""Reliability data from Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability",
Annenberg School for Communication Departmental Papers 43, section C (4 observers × 12 units,
'.' = missing). Published alphas: nominal 0.743, ordinal 0.815, interval 0.849, ratio 0.797.
"""

from __future__ import annotations

from qa_app.domain.agreement import Rating

KRIPPENDORFF_2011 = {
    "A": "1 2 3 3 2 1 4 1 2 . . .",
    "B": "1 2 3 3 2 2 4 1 2 5 . 3",
    "C": ". 3 3 3 2 3 4 2 2 5 1 .",
    "D": "1 2 3 3 2 4 4 1 2 5 1 .",
}
PUBLISHED_ALPHA = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}


def krippendorff_2011_ratings(dimension: str = "value") -> list[Rating]:
    return [
        Rating(f"unit-{j + 1:02d}", rater, dimension, None if v == "." else float(v))
        for rater, row in KRIPPENDORFF_2011.items()
        for j, v in enumerate(row.split())
    ]


def krippendorff_2011_csv() -> str:
    lines = ["unit,rater,value"]
    for rater, row in KRIPPENDORFF_2011.items():
        for j, v in enumerate(row.split()):
            lines.append(f"{j + 1},{rater},{'' if v == '.' else v}")
    return "\n".join(lines) + "\n"
