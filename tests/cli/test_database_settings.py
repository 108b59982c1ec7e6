"""A database the command cannot use is one line naming the problem, not a traceback."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("garbage", "QA_APP_DATABASE_URL is not a database URL"),
        # Nothing listens on port 9 (discard) here: the connection is refused.
        ("postgresql+psycopg://nobody@127.0.0.1:9/x", "cannot use the database: connection"),
    ],
)
def test_unusable_database_settings_are_one_clear_line(cli, monkeypatch, url, message):
    monkeypatch.setenv("QA_APP_DATABASE_URL", url)
    for command in (("db", "status"), ("export", "flags", "--out", "x.csv")):
        result = cli(*command)
        assert result.exit_code == 1 and message in result.output
        assert "Traceback" not in result.output
