"""Rubric versions in the database: registering files, refusing silent edits, reading them back."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sqlmodel import Session, select

from qa_app.domain.rubrics.definitions import Rubric, load_rubric_file, parse_rubric
from qa_app.models import RubricVersion

DEFAULT_RUBRIC_ID = "empathy"


class RubricVersionConflict(ValueError):
    """A file changed content but kept an id@version the database already holds."""


def register_rubric(db: Session, rubric: Rubric, source: str = "") -> tuple[RubricVersion, bool]:
    """Store a rubric version once; return (row, created).

    The same id@version with the same content hash is a no-op. Different content
    under an existing id@version is refused: scores already made under that version
    would silently change meaning.
    """
    row = db.exec(
        select(RubricVersion).where(
            RubricVersion.rubric_id == rubric.id, RubricVersion.version == rubric.version
        )
    ).first()
    if row is not None:
        if row.content_hash != rubric.content_hash:
            where = f"{source}: " if source else ""
            raise RubricVersionConflict(
                f"{where}rubric {rubric.key} is already in the database with different content "
                f"(stored hash {row.content_hash[:12]}, file hash {rubric.content_hash[:12]}). "
                f"Bump 'version' in the file to {rubric.version + 1} to publish the change as a "
                "new version; scores made under the old version keep it."
            )
        return row, False
    row = RubricVersion(
        rubric_id=rubric.id,
        version=rubric.version,
        title=rubric.title,
        content_hash=rubric.content_hash,
        content=rubric.source_text,
    )
    db.add(row)
    db.flush()
    return row, True


def register_rubric_files(db: Session, paths: list[Path]) -> list[tuple[RubricVersion, bool]]:
    """Parse and register several files; any invalid file or conflict raises before commit."""
    return [register_rubric(db, load_rubric_file(path), str(path)) for path in paths]


def rubric_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.toml"))


@lru_cache(maxsize=64)
def _parse_cached(content_hash: str, content: str) -> Rubric:
    return parse_rubric(content, f"stored rubric {content_hash[:12]}")


def rubric_from_row(row: RubricVersion) -> Rubric:
    """The parsed rubric a stored version holds (parsed once per content hash)."""
    return _parse_cached(row.content_hash, row.content)


def current_rubric_row(db: Session, rubric_id: str = DEFAULT_RUBRIC_ID) -> RubricVersion | None:
    """The newest stored version of ``rubric_id``."""
    return db.exec(
        select(RubricVersion)
        .where(RubricVersion.rubric_id == rubric_id)
        .order_by(RubricVersion.version.desc())
    ).first()
