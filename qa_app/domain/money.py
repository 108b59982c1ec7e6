"""Amounts of money as people read them: with the organisation's currency (QA_APP_CURRENCY)."""

from __future__ import annotations

import math

# Symbols written before the amount; any other currency code is written before it with a space.
SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$", "JPY": "¥", "INR": "₹", "AUD": "A$", "CAD": "C$"}


def currency_prefix(currency: str) -> str:
    """What goes before an amount: a symbol for a known code, the code and a space for another,
    the text as given for anything else (a symbol already), nothing when unset."""
    text = (currency or "").strip()
    if not text:
        return ""
    code = text.upper()
    if code in SYMBOLS:
        return SYMBOLS[code]
    return f"{code} " if len(code) == 3 and code.isalpha() else text


def format_money(amount: float | None, currency: str = "", *, signed: bool = False,
                 digits: int = 2) -> str:  # fmt: skip
    """``amount`` with thousands separators and the currency: "€1,234.50", "−€12.00" when
    ``signed`` shows "+€12.00" for a gain; "—" for no amount."""
    if amount is None or not math.isfinite(amount):
        return "—"
    sign = "-" if amount < 0 else ("+" if signed else "")
    return f"{sign}{currency_prefix(currency)}{abs(amount):,.{digits}f}"
