"""Money as people read it, with the organisation's currency (QA_APP_CURRENCY)."""

from __future__ import annotations

from qa_app.domain.money import currency_prefix, format_money


def test_known_codes_have_their_symbol_others_their_code():
    assert format_money(1234.5, "EUR") == "€1,234.50"
    assert format_money(1234.5, "gbp") == "£1,234.50"
    assert format_money(-12, "USD") == "-$12.00"
    assert format_money(12, "CHF", signed=True) == "+CHF 12.00"
    assert format_money(144.4, "€", digits=0) == "€144"


def test_no_currency_and_no_amount():
    assert format_money(1234.5) == "1,234.50" and currency_prefix("") == ""
    assert format_money(None, "EUR") == "—" and format_money(float("nan"), "EUR") == "—"
