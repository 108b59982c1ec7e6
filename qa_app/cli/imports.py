"""``qa-app import``: calls, outcomes, customers, customer events and reviews from files.

Calibration ratings, survey answers and experiment exposures join this group from their own
capability's module (cli/main.py adds them).
"""

from __future__ import annotations

from pathlib import Path

import click

from qa_app.cli.support import import_options, replace_option, run_import


@click.group("import")
def import_group() -> None:
    """Import calls, outcomes, reviews, calibration ratings, customers, customer events and
    customer survey answers (CSV, XLSX; calls also JSONL).

    All-or-nothing: if any row is invalid, every invalid row is listed and nothing is
    written (exit 1), unless --skip-invalid. The formats are in docs/file-formats.md, "Import file
    formats".
    """


@import_group.command("calls")
@import_options
@replace_option
def import_calls(
    file: Path, skip_invalid: bool, rejects: Path | None, dry_run: bool, replace: bool
) -> None:
    """Import calls with transcripts (CSV, XLSX or JSONL); an existing call_id is updated.

    A changed transcript becomes the call's next transcript version; the earlier one is
    kept, and reviews scored on it keep showing it. A stored field the file changes (agent,
    team, queue, start time, ...) is refused, with its row named, unless --replace; filling
    a blank field is an update.

    Required columns: call_id, agent, transcript. Optional: team, queue, channel,
    interaction_type, started_at (ISO 8601), save_script, agent_tenure_days, customer_id.
    A transcript is one turn per line, "Speaker: text" (JSONL may give a list of turns).
    """
    run_import("calls", file, skip_invalid, rejects, dry_run, replace=replace)


@import_group.command("outcomes")
@import_options
@replace_option
def import_outcomes(
    file: Path, skip_invalid: bool, rejects: Path | None, dry_run: bool, replace: bool
) -> None:
    """Import outcomes (CSV or XLSX): call_id plus one column per named outcome.

    Column names are lower case (saved, callback_30d, credit_amount, ...). A column of
    true/false/yes/no/1/0 is boolean, otherwise numeric; blank cells record nothing.
    Unknown call_ids are errors. A stored value the file changes is refused, with its
    row named, unless --replace.
    """
    run_import("outcomes", file, skip_invalid, rejects, dry_run, replace=replace)


@import_group.command("customers")
@import_options
@replace_option
def import_customers(
    file: Path, skip_invalid: bool, rejects: Path | None, dry_run: bool, replace: bool
) -> None:
    """Import customers (CSV or XLSX); an existing customer_id is updated.

    Columns: customer_id, onboarded_at (ISO 8601), optional ended_at (blank while the
    customer is active), segment and monthly_value. Filling a blank ended_at is an update;
    a stored value the file changes is refused, with its row named, unless --replace.
    """
    run_import("customers", file, skip_invalid, rejects, dry_run, replace=replace)


@import_group.command("events")
@import_options
@replace_option
def import_events(
    file: Path, skip_invalid: bool, rejects: Path | None, dry_run: bool, replace: bool
) -> None:
    """Import customer events (CSV or XLSX), one per row.

    Columns: customer_id, at (ISO 8601), kind (renewal, incident, nps, renewal_intent,
    spend, usage, opt_out), optional value (needed for nps 0-10, spend and usage) and note.
    Unknown customers and kinds are row errors; the same customer, moment and kind again
    updates the event (a changed value only with --replace).
    """
    run_import("events", file, skip_invalid, rejects, dry_run, replace=replace)


@import_group.command("reviews")
@import_options
@click.option(
    "--create-reviewers",
    is_flag=True,
    help="Create unknown reviewers as deactivated accounts instead of rejecting rows.",
)
@replace_option
def import_reviews(
    file: Path,
    skip_invalid: bool,
    rejects: Path | None,
    dry_run: bool,
    create_reviewers: bool,
    replace: bool,
) -> None:
    """Import historical reviews from another QA tool as submitted reviews (CSV or XLSX).

    One row per call, reviewer and dimension. Columns: call_id, reviewer (email),
    dimension, score (blank or N/A for not applicable), optional submitted_at (ISO 8601)
    and rubric (id@version, default the current one). Each call, reviewer and rubric
    must answer every dimension. A stored review whose points the file changes is
    refused, with its rows named, unless --replace.
    """
    run_import("reviews", file, skip_invalid, rejects, dry_run, create_reviewers, replace)
