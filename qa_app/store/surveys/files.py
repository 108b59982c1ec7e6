"""The survey files qa_app uses: those shipped with it (``rubrics/surveys/`` in the repository,
``qa_app.rubrics/surveys`` when installed), checked against the rubrics' dimensions. Light to
import: no Flask, no database."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from qa_app.domain.rubrics.definitions import RubricError, load_rubric_file
from qa_app.domain.surveys.definition import Survey, SurveyError, load_survey_file, survey_files

DEFAULT_SURVEY = "customer-empathy"


def shipped_surveys_dir() -> Path:
    """The folder of survey files that ship with this version of qa_app."""
    from qa_app.resources import shipped_rubrics_dir

    # Beside the rubrics they speak to, one folder down so rubric loading never reads them.
    return shipped_rubrics_dir() / "surveys"


def surveys_dir() -> Path:
    """QA_APP_SURVEYS_DIR when set, else the shipped surveys."""
    configured = os.environ.get("QA_APP_SURVEYS_DIR")
    return Path(configured) if configured else shipped_surveys_dir()


def rubric_dimensions() -> dict[str, set[str]]:
    """Rubric id -> dimension ids, from the rubric files qa_app uses (newest version wins)."""
    from qa_app.resources import shipped_rubrics_dir

    directory = os.environ.get("QA_APP_RUBRICS_DIR")
    found: dict[str, tuple[int, set[str]]] = {}
    for path in sorted(Path(directory or shipped_rubrics_dir()).glob("*.toml")):
        try:
            rubric = load_rubric_file(path)
        except RubricError:
            continue  # `qa-app rubric check` reports broken rubric files
        if rubric.id not in found or found[rubric.id][0] < rubric.version:
            found[rubric.id] = (rubric.version, {d.id for d in rubric.dimensions})
    return {rubric_id: dims for rubric_id, (_v, dims) in found.items()}


@lru_cache(maxsize=8)
def _load_all(directory: str, stamp: tuple) -> dict[str, Survey]:
    dimensions = rubric_dimensions()
    surveys: dict[str, Survey] = {}
    for path in survey_files(Path(directory)):
        survey = load_survey_file(path, dimensions)
        surveys[survey.key] = survey
    return surveys


def load_surveys() -> dict[str, Survey]:
    """Every survey version qa_app uses, by ``id@version``; raises SurveyError if one is broken."""
    directory = surveys_dir()
    stamp = tuple((p.name, p.stat().st_mtime_ns) for p in survey_files(directory))
    return _load_all(str(directory), stamp)


def find_survey(name: str | None = None) -> Survey:
    """A survey by ``id@version`` or by id (its newest version); default the shipped 5-point."""
    surveys = load_surveys()
    name = name or DEFAULT_SURVEY
    if name in surveys:
        return surveys[name]
    versions = [s for s in surveys.values() if s.id == name]
    if not versions:
        known = ", ".join(sorted(surveys)) or "none"
        raise SurveyError([f"no survey '{name}' (known: {known})"])
    return max(versions, key=lambda s: s.version)
