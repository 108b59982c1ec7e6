"""The guide builds, its links lead somewhere, and it documents every command.

The site in docs/ is built with ``mkdocs build --strict`` (as ``make docs`` does), so a link to a
missing page or anchor, or a page left out of the navigation, fails here. README.md is what a
newcomer reads first: it stays short, and each of its relative links (and anchors) resolves.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import click
import pytest

from qa_app.cli.main import main
from tests.conftest import PROJECT_ROOT

README = PROJECT_ROOT / "README.md"
DOCS = PROJECT_ROOT / "docs"
MKDOCS = Path(sys.executable).with_name("mkdocs")
MAX_README_LINES = 250

# [text](target) and ![alt](target), outside code; a target may carry a "title".
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
CODE_SPAN = re.compile(r"`[^`\n]*`")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$", re.M)
EXPLICIT_ID = re.compile(r"\{[^}]*#([\w-]+)[^}]*\}")


def prose(text: str) -> str:
    """Markdown without fenced blocks and code spans, where links are not links."""
    return CODE_SPAN.sub("", FENCE.sub("", text))


def relative_links(path: Path) -> list[str]:
    targets = LINK.findall(prose(path.read_text(encoding="utf-8")))
    return [t for t in targets if not re.match(r"[a-z][a-z0-9+.-]*:", t, re.I)]


def anchors(path: Path) -> set[str]:
    """The ids the headings of a Markdown file get (as the toc extension makes them), and any
    id set with an attribute list."""
    from markdown.extensions.toc import slugify

    text = prose(path.read_text(encoding="utf-8"))
    ids = set(EXPLICIT_ID.findall(text))
    seen: dict[str, int] = {}
    for _, title in HEADING.findall(text):
        title = EXPLICIT_ID.sub("", title).strip()
        plain = re.sub(r"[*_`]|\[([^\]]*)\]\([^)]*\)", r"\1", title)
        slug = slugify(plain, "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        ids.add(slug if count == 0 else f"{slug}_{count}")
    return ids


def link_problems(path: Path) -> list[str]:
    problems = []
    for target in relative_links(path):
        file_part, _, anchor = unquote(target).partition("#")
        resolved = (path.parent / file_part).resolve() if file_part else path
        if not resolved.exists():
            problems.append(f"{path.name}: {target}: no such file")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            problems.append(f"{path.name}: {target}: no heading with that anchor")
    return problems


def test_the_readme_is_short():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) < MAX_README_LINES, f"README.md has {len(lines)} lines"


def test_every_relative_link_in_the_readme_resolves():
    assert relative_links(README), "no relative link found in README.md"
    assert link_problems(README) == []


@pytest.mark.parametrize("page", sorted(DOCS.glob("*.md")), ids=lambda p: p.name)
def test_every_relative_link_in_the_docs_resolves(page):
    assert link_problems(page) == []


def test_the_readme_shows_the_screenshot():
    assert "docs/images/scoring.png" in relative_links(README)
    assert (DOCS / "images" / "scoring.png").stat().st_size < 200_000


@pytest.fixture(scope="module")
def built_site(tmp_path_factory) -> Path:
    """The guide built with --strict, as `make docs` builds it."""
    mkdocs = str(MKDOCS) if MKDOCS.exists() else shutil.which("mkdocs")
    if mkdocs is None:
        pytest.skip("mkdocs is not installed: it comes with the dev extras (`make docs`)")
    site = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [mkdocs, "build", "--strict", "--site-dir", str(site)],
        cwd=PROJECT_ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stdout}\n{done.stderr}"
    return site


def test_the_site_builds_strictly_with_every_page(built_site):
    for page in DOCS.glob("*.md"):
        assert (built_site / f"{page.stem}.html").exists(), f"{page.name} was not built"


def leaf_commands(group: click.Group = main, prefix: str = "qa-app ") -> list[str]:
    """Every runnable command, e.g. ``qa-app users add``."""
    paths = []
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            paths += leaf_commands(command, f"{prefix}{name} ")
        else:
            paths.append(f"{prefix}{name}")
    return paths


def test_the_cli_page_documents_every_command(built_site):
    html = (built_site / "cli.html").read_text(encoding="utf-8")
    ids = set(re.findall(r'\bid="([^"]+)"', html))
    commands = leaf_commands()
    assert len(commands) >= 15
    missing = [c for c in commands if c.replace(" ", "-") not in ids]
    assert missing == [], f"not in the generated command-line reference: {missing}"
    # The reference is generated from the commands: each one's usage line is there too.
    for command in commands:
        assert f"{command} [OPTIONS]" in html, f"no usage line for {command}"
    # Defaults are shown as click shows them, never as its internal placeholder for "no default".
    assert "Sentinel.UNSET" not in html
