"""HSTS behind HTTPS, and no cached copies of pages that may hold personal data."""

from __future__ import annotations

from qa_app import create_app, db
from qa_app.store.users import create_user
from tests.conftest import RUBRICS_DIR
from tests.views.conftest import PASSWORD, Auth

YEAR = 365 * 24 * 3600


def make_app(url):
    app = create_app({"DATABASE_URL": url, "TESTING": True, "RUBRICS_DIR": str(RUBRICS_DIR)})
    with db.transaction(db.get_engine_for(app)) as session:
        create_user(session, "lead@test.example", "Lead", "lead", PASSWORD)
    return app


def get(client, path):
    response = client.get(path)
    response.close()  # static files are streamed
    return response


def test_pages_are_never_stored_and_static_files_stay_cacheable(sqlite_url):
    app = make_app(sqlite_url)
    try:
        client = app.test_client()
        for path in ("/login", "/no-such-page", "/healthz"):
            assert get(client, path).headers["Cache-Control"] == "no-store", path
        assert Auth(client).login("lead@test.example").status_code == 302
        for path in ("/", "/queue", "/calibration", "/admin/users", "/no-such-page"):
            assert get(client, path).headers["Cache-Control"] == "no-store", path
        static = get(client, "/static/app.css")
        assert static.status_code == 200
        assert "no-store" not in static.headers.get("Cache-Control", "")
        # Plain HTTP (the default): no HSTS, which would lock browsers out of an HTTP-only site.
        assert "Strict-Transport-Security" not in get(client, "/login").headers
    finally:
        db.get_engine_for(app).dispose()


def test_https_only_cookies_also_send_hsts_for_a_year(sqlite_url, monkeypatch):
    monkeypatch.setenv("QA_APP_SECURE_COOKIES", "1")
    app = make_app(sqlite_url)
    try:
        client = app.test_client()
        for path in ("/login", "/static/app.css", "/no-such-page"):
            hsts = get(client, path).headers.get("Strict-Transport-Security", "")
            assert hsts.startswith("max-age="), path
            assert int(hsts.removeprefix("max-age=").split(";")[0]) >= YEAR
    finally:
        db.get_engine_for(app).dispose()
