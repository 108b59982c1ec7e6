"""Formula-injection protection for text written to CSV or XLSX (OWASP CSV injection)."""

from __future__ import annotations

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def protect_formula(text: str) -> str:
    """Prefix a single quote to text a spreadsheet would otherwise evaluate as a formula.

    Spreadsheet software shows the quote-prefixed cell as the original text.
    """
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text
