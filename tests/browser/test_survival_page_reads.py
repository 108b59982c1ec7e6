"""The Survival page reads at 1280 px, as a lead on the demo data: every filter shows its whole
text, the chart spans the content with text that is readable at the size shown, and the
number-at-risk table's headings stand over their numbers."""

from __future__ import annotations

import base64
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PATIENCE_MS, open_from_menu
from tests.browser.test_scoring_keyboard import log_in

pytestmark = pytest.mark.browser
LAPTOP = {"width": 1280, "height": 900}

# Each form field's text against the room inside it: every option of a select, a datalist's
# values and the value of an input (date inputs draw their own text and are left out).
CUT_TEXT = """form => {
    const context = document.createElement('canvas').getContext('2d');
    const cut = [];
    for (const field of form.querySelectorAll('select, input')) {
        if (['hidden', 'date'].includes(field.type)) continue;
        const style = getComputedStyle(field);
        context.font = [style.fontStyle, style.fontWeight, style.fontSize, style.fontFamily]
            .join(' ');
        const room = field.clientWidth - parseFloat(style.paddingLeft)
            - parseFloat(style.paddingRight);
        let texts = [field.value || field.placeholder];
        if (field.tagName === 'SELECT') texts = [...field.options].map(o => o.text);
        else if (field.list) texts = texts.concat([...field.list.options].map(o => o.value));
        for (const text of texts) {
            const needs = context.measureText(text).width;
            if (needs > room + 0.5) cut.push(`${field.name}: '${text}' ${needs} > ${room}`);
        }
    }
    return cut;
}"""

# Where each cell's text sits (not the cell's box, which a table always lines up).
CELL_TEXT = """table => {
    const place = cell => {
        const range = document.createRange();
        range.selectNodeContents(cell);
        const box = range.getBoundingClientRect();
        const cellBox = cell.getBoundingClientRect();
        return {text: cell.textContent.trim(), left: box.left, right: box.right,
                cellLeft: cellBox.left, cellRight: cellBox.right};
    };
    return {
        head: [...table.tHead.rows[0].cells].map(place),
        body: [...table.tBodies[0].rows].map(row => [...row.cells].map(place)),
    };
}"""


def _open_survival(page, base):
    page.set_viewport_size(LAPTOP)
    log_in(page, base, "lead@example.com", "demo-lead-pass")
    open_from_menu(page, "Customers", "Survival")
    expect(page.locator("#survival-chart img")).to_be_visible(timeout=PATIENCE_MS)


def test_every_filter_shows_its_whole_text_at_1280_px(live_demo, page):
    _open_survival(page, live_demo)
    form = page.locator("#survival-form")
    assert not form.evaluate(CUT_TEXT)
    # Each field's label is above it, not beside it.
    for label in form.locator("label").all():
        field = label.locator("select, input").first
        assert label.bounding_box()["y"] < field.bounding_box()["y"] - 5, label.inner_text()


def test_the_chart_spans_the_content_and_its_text_reads_at_that_size(live_demo, page):
    _open_survival(page, live_demo)
    content = page.locator("#survival-results").bounding_box()["width"]
    chart = page.locator("#survival-chart img")
    shown = chart.bounding_box()
    assert shown["width"] >= 0.9 * content, (shown["width"], content)
    natural = chart.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert abs(shown["height"] / shown["width"] - natural[1] / natural[0]) < 0.01  # not squashed
    svg = base64.b64decode(chart.get_attribute("src").split(",", 1)[1]).decode("utf-8")
    width = float(re.search(r'<svg[^>]* viewBox="0 0 ([\d.]+) ', svg).group(1))
    for text in ("with acknowledged", "without acknowledged", "0.2"):
        scale = re.search(
            rf'<!-- {re.escape(text)} -->\s*<g transform="translate\([^)]*\) scale\(([\d.]+) ', svg
        ).group(1)
        px = float(scale) * 100 * shown["width"] / width  # matplotlib scales glyphs by size/100
        assert px >= 12, (text, px)


def test_the_number_at_risk_headings_stand_over_their_numbers(live_demo, page):
    _open_survival(page, live_demo)
    cells = page.locator("#survival-at-risk").evaluate(CELL_TEXT)
    head, body = cells["head"], cells["body"]
    assert len(body) == 2
    for row in body:
        assert len(row) == len(head), (len(row), len(head))
        for column, (top, cell) in enumerate(zip(head, row, strict=True)):
            assert abs(top["cellLeft"] - cell["cellLeft"]) < 2, (column, top, cell)
            # The first column (days / group) reads from the left, the numbers from the right.
            edge = "left" if column == 0 else "right"
            assert abs(top[edge] - cell[edge]) <= 3, (column, edge, top, cell)
