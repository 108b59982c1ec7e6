"""The spreadsheets as printed: LibreOffice Calc converts them to PDF, the pages are counted.

Before the print setup the Flags sheet of a 200-call export printed as 35 portrait pages,
seven across for every five down: one call spread over seven sheets of paper. Now every
page is landscape, a call is one line of one page, and the text is large enough to read.
The PDF is read with a few regular expressions (LibreOffice writes page dictionaries as
plain objects), so no PDF library is needed.
"""

from __future__ import annotations

import re
import subprocess
import zlib
from datetime import UTC, datetime

from qa_app.domain.flags.export import flag_columns, write_xlsx
from qa_app.domain.rubrics.definitions import load_rubric_file
from tests.conftest import RUBRICS_DIR
from tests.domain.calibration.test_session_report import write_report

RUBRIC = load_rubric_file(RUBRICS_DIR / "empathy-v1.toml")
COLUMNS = flag_columns(RUBRIC, [("saved", "boolean"), ("credit_amount", "number")])
CALLS = 300
# At the old scale (each column as wide as its name, fitted to the page) text came out at
# 2.7 pt; at 100% it is 11 pt. Below 4.5 pt a printed call cannot be read.
SMALLEST_READABLE_POINTS = 4.5


def to_pdf(soffice, path, tmp_path) -> bytes:
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return path.with_suffix(".pdf").read_bytes()


def page_sizes(pdf: bytes) -> list[tuple[float, float]]:
    """(width, height) in points of every page, from each page's (or its parent's) MediaBox."""
    assert b"/ObjStm" not in pdf, "objects in compressed streams: this reader cannot see them"
    objects = {number: body for number, body in re.findall(rb"(\d+) 0 obj(.*?)endobj", pdf, re.S)}
    sizes = []
    for body in objects.values():
        if not re.search(rb"/Type\s*/Page(?![a-zA-Z])", body):
            continue
        box = re.search(rb"/MediaBox\s*\[([^\]]*)\]", body)
        if box is None:  # inherited from the page tree
            parent = re.search(rb"/Parent\s+(\d+)\s+0\s+R", body).group(1)
            box = re.search(rb"/MediaBox\s*\[([^\]]*)\]", objects[parent])
        x0, y0, x1, y1 = (float(v) for v in box.group(1).split())
        sizes.append((x1 - x0, y1 - y0))
    # The page tree's own count says how many pages there are: none was missed.
    assert sizes and len(sizes) == max(int(c) for c in re.findall(rb"/Count\s+(\d+)", pdf))
    return sizes


def font_sizes(pdf: bytes) -> set[float]:
    """Every text size (Tf operator, in points as printed) in the page contents."""
    sizes = set()
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        try:
            content = zlib.decompress(stream)
        except zlib.error:
            continue  # fonts and images, not page text
        sizes |= {float(s) for s in re.findall(rb"([\d.]+)\s+Tf\b", content)}
    return sizes


def assert_landscape(sizes):
    portrait = [i + 1 for i, (width, height) in enumerate(sizes) if width <= height]
    assert portrait == [], f"portrait pages: {portrait}"


def test_a_flag_export_prints_one_call_per_line_on_landscape_pages(tmp_path, soffice):
    rows = [
        {
            "call_id": f"C-{n:05d}",
            "started_at": datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
            "agent": f"Agent {n % 40}",
            "team": "Retention B",
            "queue": "retention",
            "channel": ("voice", "chat")[n % 2],
            "interaction_type": "billing_correction",
            "save_script": "empathy-first",
            "agent_tenure_days": n,
            **{f"score_{d.id}": 1 + (n + i) % 5 for i, d in enumerate(RUBRIC.dimensions)},
            **{f"flag_{f.name}": (n + i) % 3 == 0 for i, f in enumerate(RUBRIC.flags)},
            "score_source": "median of reviews",
            "review_count": 2,
            "weight": 0.8333333333333334,
            "outcome_saved": n % 2 == 0,
            "outcome_credit_amount": 12.5,
        }
        for n in range(CALLS)
    ]
    path = tmp_path / "flags.xlsx"
    write_xlsx(path, COLUMNS, rows, [("rubric", "empathy@1")], RUBRIC)
    pdf = to_pdf(soffice, path, tmp_path)
    sizes = page_sizes(pdf)
    assert_landscape(sizes)
    # Flags, Data dictionary and About. Seven pages across (the old layout) would need
    # at least 7 × 5 = 35; one page across, about 70 calls a page, needs 5 for the
    # calls and one each for the other two sheets.
    assert 3 <= len(sizes) <= CALLS / 30, len(sizes)
    assert min(font_sizes(pdf)) >= SMALLEST_READABLE_POINTS


def test_a_session_report_prints_on_landscape_pages_one_page_wide(tmp_path, soffice):
    path = tmp_path / "report.xlsx"
    write_report(path, calls=40)  # 200 Per call rows, 800 Ratings rows
    pdf = to_pdf(soffice, path, tmp_path)
    sizes = page_sizes(pdf)
    assert_landscape(sizes)
    # 1,000 rows over five sheets print on 29 pages; in portrait at 100% they took 53.
    assert len(sizes) <= 1000 / 30, len(sizes)
    assert min(font_sizes(pdf)) >= SMALLEST_READABLE_POINTS
