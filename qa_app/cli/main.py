"""The ``qa-app`` command line: schema, demo data, server, users, rubrics and imports.

Every module this file imports at the top is light: `qa-app --help` and `qa-app COMMAND
--help` must start in a blink, so Flask, SQLAlchemy, Alembic, NumPy and openpyxl are imported
inside the commands that use them (tests/cli/test_cli_imports.py keeps it so).
"""

from __future__ import annotations

import click

from qa_app.cli.support import DatabaseAwareGroup


@click.group(cls=DatabaseAwareGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    package_name="qa_app",
    prog_name="qa-app",
    message="%(prog)s %(version)s",
    help="Show the installed qa_app version and exit.",
)
def main() -> None:
    """qa_app: score calls against the empathy rubric, calibrate, export behaviour flags.

    Settings come from QA_APP_* environment variables (see docs/admins.md, "Configuration").
    """


def _register_commands() -> None:
    from qa_app.cli.agreement import agreement
    from qa_app.cli.audit import audit
    from qa_app.cli.backup import backup, restore
    from qa_app.cli.calibration import register
    from qa_app.cli.db import db_group
    from qa_app.cli.demo import demo
    from qa_app.cli.experiments import experiment_group, import_exposure
    from qa_app.cli.flags import export_group, outcomes_group
    from qa_app.cli.imports import import_group
    from qa_app.cli.machine import machine_group
    from qa_app.cli.outreach import outreach_group
    from qa_app.cli.panels import analysis_plan_group, panel
    from qa_app.cli.recognition import board
    from qa_app.cli.rollouts import rollout_group
    from qa_app.cli.rubrics import rubric
    from qa_app.cli.sampling import flags_group, sample_group
    from qa_app.cli.serve import serve
    from qa_app.cli.surveys import import_survey, survey_group
    from qa_app.cli.survival import survival
    from qa_app.cli.tokens import tokens
    from qa_app.cli.users import users

    for command in (
        db_group,
        demo,
        serve,
        rubric,
        import_group,
        users,
        tokens,
        agreement,
        export_group,
        outcomes_group,
        flags_group,
        sample_group,
        backup,
        restore,
        audit,
        survival,
        survey_group,
        panel,
        analysis_plan_group,
        outreach_group,
        experiment_group,
        rollout_group,
        machine_group,
    ):
        main.add_command(command)
    register(main, import_group)
    import_group.add_command(import_survey)
    import_group.add_command(import_exposure)
    outreach_group.add_command(board)


_register_commands()
