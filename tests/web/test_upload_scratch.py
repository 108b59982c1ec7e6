"""An upload is kept, while it is imported, in a scratch folder the next start can recognise."""

from __future__ import annotations

import io
from pathlib import Path

from qa_app import import_service, scratch
from qa_app.views import imports
from tests.web.conftest import csrf_token


def test_an_upload_is_imported_from_a_named_scratch_folder_then_removed(
    scoring, auth, client, monkeypatch
):
    seen = []

    def recording_import(engine, kind, path, **options):
        seen.append(Path(path))
        assert Path(path).exists()
        return import_service.run_import(engine, kind, path, **options)

    monkeypatch.setattr(imports, "run_import", recording_import)
    auth.login("lead@test.example")
    token = csrf_token(client.get("/imports").get_data(as_text=True))
    response = client.post(
        "/imports",
        data={
            "csrf_token": token,
            "kind": "calls",
            "dry_run": "1",
            "file": (io.BytesIO(b"call_id,agent,transcript\nN-1,Ana,Agent: Hi\n"), "calls.csv"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code in (200, 422)
    [path] = seen
    assert path.parent.name.startswith(scratch.UPLOAD_PREFIX)
    assert not path.parent.exists()  # removed when the import finished
