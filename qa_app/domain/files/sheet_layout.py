"""How a report sheet prints: landscape, one page wide, the header on every page.

Coaches and QA leads print the spreadsheets for coaching sessions and calibration
meetings. Left to the defaults, a sheet of 20-odd columns prints portrait at 100% and
one call's row is spread over seven pages; fitted to one page wide it is one line per
call. Shared by every workbook the app writes, so they all print alike.
"""

from __future__ import annotations

# Narrow margins (inches): room for more columns at a larger scale on the page.
MARGINS = {"left": 0.4, "right": 0.4, "top": 0.5, "bottom": 0.5, "header": 0.25, "footer": 0.25}

# Number formats shared by the reports, so a coefficient, a rate or a mean reads the
# same on every sheet.
COEFFICIENT = "0.000"  # alpha, AC2, their intervals, a change in alpha, weights
RATE = "0.0%"  # shares stored as fractions: 0.875 shows as 87.5%
MEAN = "0.00"  # means of scale points: gaps, bias, distances


def print_setup(worksheet, header_rows: int = 1) -> None:
    """Landscape, fit to one page wide (as many pages tall as needed), gridlines printed.

    With ``header_rows`` > 0, those top rows repeat on every printed page (print titles)
    and stay frozen on screen. For a write-only worksheet call this before the first
    row is appended: openpyxl writes the sheet properties and view at the first row.
    """
    from openpyxl.worksheet.properties import PageSetupProperties

    setup = worksheet.page_setup
    setup.orientation = "landscape"
    setup.fitToWidth = 1
    setup.fitToHeight = 0  # 0: as many pages tall as the rows need
    worksheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    # Gridlines keep a long, scaled-down row readable across the printed page.
    worksheet.print_options.gridLines = True
    worksheet.print_options.gridLinesSet = True
    for side, inches in MARGINS.items():
        setattr(worksheet.page_margins, side, inches)
    if header_rows > 0:
        worksheet.print_title_rows = f"1:{header_rows}"
        worksheet.freeze_panes = f"A{header_rows + 1}"
