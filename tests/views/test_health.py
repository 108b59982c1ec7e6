"""``/healthz`` tells a proxy or monitor whether this process can serve users."""

from __future__ import annotations

import logging

from qa_app import create_app, db


def test_a_current_schema_is_healthy_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "schema": "current"}
    assert response.headers["Cache-Control"] == "no-store"


def test_a_schema_behind_the_code_takes_the_process_out_of_rotation(empty_db_url):
    app = create_app({"DATABASE_URL": empty_db_url, "CHECK_SCHEMA": False})
    response = app.test_client().get("/healthz")
    db.get_engine_for(app).dispose()
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable" and body["database"] == "ok"
    assert body["schema"].startswith("at empty, code needs ")
    assert "qa-app db upgrade" in body["schema"]


def test_an_unreachable_database_is_said_without_its_address(tmp_path, caplog):
    # Nothing listens on port 9 (discard) here: the connection is refused.
    url = "postgresql+psycopg://nobody@127.0.0.1:9/secretdb?connect_timeout=2"
    app = create_app({"DATABASE_URL": url, "CHECK_SCHEMA": False})
    with caplog.at_level(logging.WARNING):
        response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "database": "unreachable"}
    # Anyone may ask /healthz: the host, port and database name go to the log only.
    assert "127.0.0.1" not in response.get_data(as_text=True)
    assert any("port 9" in record.getMessage() for record in caplog.records)
