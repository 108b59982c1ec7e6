"""The admins' guide's server installation (docs/admins.md), followed literally against PostgreSQL.

The settings and the commands are read out of docs/admins.md ("Installing on a server"), so the
test and the instructions cannot drift apart: each command runs as written with the installed
wheel's ``qa-app``, with only the database, the secret and the ports swapped for the test's.
Two server processes share the database, as behind the guide's nginx: a login made on one is
honoured by the other, and a reviewer the admin assigned a call to scores it.
"""

from __future__ import annotations

import re
import secrets
import shlex
import subprocess
from pathlib import Path

import pytest
from sqlmodel import Session, select

from qa_app import db
from qa_app.models import ReviewScore
from tests.conftest import PROJECT_ROOT
from tests.install.conftest import CSRF, Browser, clean_environment, free_port
from tests.store.test_imports import good_row, write_calls

PASSWORD = "a-long-enough-password"


def readme_block(after: str, language: str) -> list[str]:
    """The lines of the first fenced block of ``language`` after the text ``after``."""
    readme = (PROJECT_ROOT / "docs" / "admins.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Installing on a server") :]
    start = section.index(f"```{language}\n", section.index(after)) + len(language) + 4
    return section[start : section.index("```", start)].strip().splitlines()


@pytest.mark.postgres
def test_an_admin_following_the_readme_gets_servers_where_reviewers_score(
    installed_venv, postgres_empty_url, tmp_path
):
    settings = dict(line.split("=", 1) for line in readme_block("**3. Settings**", "ini"))
    assert settings["QA_APP_ENV"] == "production"
    settings.update(
        QA_APP_DATABASE_URL=postgres_empty_url,
        QA_APP_SECRET_KEY=secrets.token_hex(32),
        QA_APP_INSTANCE_PATH=str(tmp_path / "var-lib-qa_app"),
    )
    env_file = tmp_path / "qa_app.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in settings.items()), encoding="utf-8")
    workdir = tmp_path / "admin-home"
    workdir.mkdir()
    env = clean_environment(installed_venv, tmp_path / "home")
    commands = readme_block("**4. Schema", "sh")
    servers: list[subprocess.Popen] = []
    ports: list[int] = []
    try:
        for line in commands:
            args = shlex.split(line)
            if line == "set -a; . /etc/qa_app.env; set +a":
                env.update(settings)  # what sourcing the settings file does
            elif args[:2] == ["qa-app", "serve"]:
                ports.append(free_port())
                args[args.index("--port") + 1] = str(ports[-1])
                with (tmp_path / f"serve-{ports[-1]}.log").open("w") as log:
                    servers.append(
                        subprocess.Popen(args, cwd=workdir, env=env, stdout=log, stderr=log)
                    )
            elif args[0] == "curl":
                port = int(re.search(r":(\d+)/", args[-1]).group(1))
                browser = Browser(f"http://127.0.0.1:{ports[[8001, 8002].index(port)]}")
                browser.wait_until_up()
                status, content_type, body = browser.get("/healthz")
                assert status == 200 and "json" in content_type, body
                assert '"schema":"current"' in body.replace(" ", "")
            else:
                assert args[0] == "qa-app", f"README step not understood: {line}"
                if args[1:3] == ["import", "calls"]:
                    write_calls(workdir / args[3], [good_row("C-1"), good_row("C-2")])
                done = subprocess.run(
                    args,
                    cwd=workdir,
                    env=env,
                    # users add asks for the password twice; no terminal, so it reads stdin
                    input=f"{PASSWORD}\n{PASSWORD}\n",
                    capture_output=True,
                    text=True,
                    timeout=120,
                    start_new_session=True,
                )
                assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
        assert len(servers) == 2

        first = Browser(f"http://127.0.0.1:{ports[0]}", behind_https_proxy=True)
        second = Browser(f"http://127.0.0.1:{ports[1]}", behind_https_proxy=True)
        for browser in (first, second):
            browser.wait_until_up()
        admin, reviewer = (user_added(commands, role) for role in ("admin", "reviewer"))
        first.login(admin, PASSWORD)
        assign_call_to_the_reviewer(first, reviewer, "C-2")
        # Any process answers any request: a login made on the second works on the first.
        second.login(reviewer, PASSWORD)
        first.cookies = second.cookies
        assert first.autosave_first_call("summary", "3") == "/calls/C-2/review"
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)
    for log in tmp_path.glob("serve-*.log"):
        assert "Traceback" not in log.read_text()

    engine = db.make_engine(postgres_empty_url)
    with Session(engine) as session:
        scores = session.exec(select(ReviewScore)).all()
        assert [(s.dimension, s.score) for s in scores] == [("summary", 3)]
    engine.dispose()


def user_added(commands: list[str], role: str) -> str:
    """The email of the README's ``qa-app users add ... --role ROLE`` line."""
    for line in commands:
        args = shlex.split(line)
        if args[:3] == ["qa-app", "users", "add"] and args[args.index("--role") + 1] == role:
            return args[args.index("--email") + 1]
    raise AssertionError(f"the README adds no {role}")


def assign_call_to_the_reviewer(admin: Browser, email: str, call_id: str) -> None:
    _, _, page = admin.get("/assign")
    reviewer_id = re.search(rf'<option value="(\d+)"[^>]*>[^<]*{re.escape(email)}', page)
    assert reviewer_id, "the reviewer the README added is not offered on the Assign page"
    token = CSRF.search(page).group(1)
    status, _, _ = admin.request(
        "/assign/one",
        {"reviewer_id": reviewer_id.group(1), "call_id": call_id, "csrf_token": token},
    )
    assert status == 200


def test_the_readme_settings_block_names_only_settings_the_app_reads():
    names = [line.split("=", 1)[0] for line in readme_block("**3. Settings**", "ini")]
    sources = "".join(p.read_text() for p in (PROJECT_ROOT / "qa_app").glob("*.py"))
    for name in names:
        assert f'"{name}"' in sources, f"{name} in the README is not read by qa_app"
    assert Path(PROJECT_ROOT / "docs" / "admins.md").read_text().count("/healthz") >= 2
