"""Rubric versions in the database, the demo data loader and `qa-app users add`."""

from __future__ import annotations

from sqlmodel import Session, func, select

from qa_app.models import Call, MachineModel, MachineScore, Review, RubricVersion, User
from qa_app.store.demo import load_demo
from tests.conftest import RUBRICS_DIR
from tests.store.helpers import snapshot


def test_rubric_load_registers_versions_and_refuses_silent_edits(app, engine, cli, tmp_path):
    result = cli("rubric", "load", *sorted(RUBRICS_DIR.glob("*.toml")))
    assert result.exit_code == 0 and "empathy@1: loaded" in result.output
    assert (
        "already loaded, unchanged" in cli("rubric", "load", RUBRICS_DIR / "empathy-v1.toml").output
    )

    edited = tmp_path / "empathy-v1.toml"
    original = (RUBRICS_DIR / "empathy-v1.toml").read_text()
    edited.write_text(original.replace("No acknowledgment.", "Nothing."), encoding="utf-8")
    before = snapshot(engine)
    result = cli("rubric", "load", edited)
    assert result.exit_code == 1
    assert "rubric empathy@1 is already in the database with different content" in result.output
    assert "Bump 'version' in the file to 2" in result.output
    assert snapshot(engine) == before

    edited.write_text(
        original.replace("No acknowledgment.", "Nothing.").replace("version = 1", "version = 2"),
        encoding="utf-8",
    )
    assert "empathy@2: loaded" in cli("rubric", "load", edited).output
    with Session(engine) as session:
        versions = session.exec(
            select(RubricVersion.version).where(RubricVersion.rubric_id == "empathy")
        ).all()
    assert sorted(versions) == [1, 2]


def test_rubric_check_cli_exit_codes(cli, tmp_path):
    result = cli("rubric", "check", *sorted(RUBRICS_DIR.glob("*.toml")))
    assert result.exit_code == 0 and "2 rubric file(s) OK" in result.output
    broken = tmp_path / "broken.toml"
    broken.write_text(
        (RUBRICS_DIR / "empathy-v1.toml").read_text().replace('"summary >= 4"', '"summary >= 9"')
    )
    result = cli("rubric", "check", broken)
    assert result.exit_code == 1
    assert f"{broken}: flag 'summarized': threshold 9 in 'summary >= 9' is outside" in result.output


def test_demo_loads_once_and_a_second_run_changes_nothing(app, engine, cli):
    result = cli("demo")
    assert result.exit_code == 0, result.output
    assert "reviewer@example.com" in result.output and "demo-reviewer-pass" in result.output
    # The demo ships a machine rater trained on its reviews, which has scored every call.
    assert "Machine rater trained on 192 demo reviews of empathy@1: alpha" in result.output
    with Session(engine) as session:
        model = session.exec(select(MachineModel)).one()
        calls = session.exec(select(func.count()).select_from(Call)).one()
        scored = session.exec(select(func.count(func.distinct(MachineScore.call_pk)))).one()
    assert model.training_calls == 192 and scored == calls
    first = snapshot(engine)
    assert len(first["calls"]) >= 300
    result = cli("demo")
    assert "Demo data already loaded; nothing changed." in result.output
    assert "Machine rater" not in result.output
    assert snapshot(engine) == first
    with Session(engine) as session:
        roles = set(session.exec(select(User.role)).all())
        reviews = session.exec(select(Review)).all()
        rubric = session.exec(
            select(RubricVersion).where(RubricVersion.rubric_id == "empathy")
        ).one()
    assert roles == {"admin", "lead", "reviewer", "coach"}
    assert {r.status for r in reviews} == {"draft", "submitted"}
    assert {r.rubric_pk for r in reviews} == {rubric.id}


def test_demo_rerun_restores_its_calls_without_duplicates(app, engine):
    load_demo(engine, RUBRICS_DIR)
    with Session(engine) as session:
        call = session.exec(select(Call).where(Call.call_id == "DEMO-0001")).one()
        call.team = "Renamed team"
        session.add(call)
        session.commit()
    load_demo(engine, RUBRICS_DIR)
    with Session(engine) as session:
        # The demo is reference data; re-running it restores its own calls, never duplicates them.
        assert (
            session.exec(select(Call).where(Call.call_id == "DEMO-0001")).one().team
            != "Renamed team"
        )
        assert len(session.exec(select(Call.id)).all()) == 360


def test_users_add_with_password_from_stdin(app, engine, cli):
    result = cli(
        "users",
        "add",
        "--email",
        "Nia@Example.com",
        "--name",
        "Nia",
        "--role",
        "lead",
        "--password-stdin",
        input="a-long-enough-password\n",
    )
    assert result.exit_code == 0 and "Added lead nia@example.com" in result.output
    again = cli(
        "users",
        "add",
        "--email",
        "nia@example.com",
        "--name",
        "Nia",
        "--role",
        "lead",
        "--password-stdin",
        input="a-long-enough-password\n",
    )
    assert again.exit_code == 1 and "already exists" in again.output
    short = cli(
        "users",
        "add",
        "--email",
        "x@example.com",
        "--name",
        "X",
        "--role",
        "coach",
        "--password-stdin",
        input="short\n",
    )
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    long_email = "x" * 250 + "@example.com"
    too_long = cli(
        "users",
        "add",
        "--email",
        long_email,
        "--name",
        "X",
        "--role",
        "coach",
        "--password-stdin",
        input="a-long-enough-password\n",
    )
    assert too_long.exit_code == 1 and "longer than 254 characters" in too_long.output
    with Session(engine) as session:
        user = session.exec(select(User).where(User.email == "nia@example.com")).one()
    assert user.password_hash != "a-long-enough-password" and user.active
