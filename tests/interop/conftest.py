"""LibreOffice Calc, headless, for the interop tests: found once, skipped or failed alike."""

from __future__ import annotations

import os
import shutil

import pytest


@pytest.fixture
def soffice():
    """The ``soffice`` path; without it skip, unless QA_APP_REQUIRE_LIBREOFFICE=1 (CI)."""
    path = shutil.which("soffice")
    if path is None:
        message = "LibreOffice (soffice) is not installed"
        if os.environ.get("QA_APP_REQUIRE_LIBREOFFICE") == "1":
            pytest.fail(f"QA_APP_REQUIRE_LIBREOFFICE=1 but {message}")
        pytest.skip(message)
    return path
