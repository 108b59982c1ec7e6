"""An upload is kept, while it is imported, in a scratch folder the next start can recognise."""

from __future__ import annotations

from pathlib import Path

from qa_app import scratch
from qa_app.store.imports import jobs as import_jobs
from qa_app.store.imports import service as import_service
from tests.views.conftest import csrf_token
from tests.views.imports import upload


def test_an_upload_is_imported_from_a_named_scratch_folder_then_removed(
    scoring, auth, client, monkeypatch
):
    seen = []

    def recording_import(engine, kind, path, **options):
        seen.append(Path(path))
        assert Path(path).exists()
        return import_service.run_import(engine, kind, path, **options)

    monkeypatch.setattr(import_jobs, "run_import", recording_import)
    auth.login("lead@test.example")
    token = csrf_token(client.get("/imports").get_data(as_text=True))
    page = upload(
        client,
        token,
        "calls",
        b"call_id,agent,transcript\nN-1,Ana,Agent: Hi\n",
        "calls.csv",
        dry_run="1",
    )
    assert "Dry run: 1 valid row (1 call), 0 invalid rows; nothing written." in page.text
    [path] = seen
    assert path.parent.name.startswith(scratch.UPLOAD_PREFIX)
    assert not path.parent.exists()  # removed when the import finished
