"""The plan form's text, shared by the sampling-plan and experiment pages: pasted in the
textarea or uploaded as a file, with the size limit and the UTF-8 check."""

from __future__ import annotations

from flask import request

MAX_PLAN_BYTES = 200_000


def typed_plan_text() -> tuple[str, str, list[str]]:
    """The plan text from the upload (when a file is chosen) or the textarea, its source name
    (the file's, else ``plan``), and any problem with the upload or the text's size.

    On a problem the text is what was typed, so the form shows it again unchanged."""
    typed = request.form.get("content", "")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        text, source, problems = typed, "plan", []
    else:
        text, source, problems = _read_upload(upload, typed)
    if not problems and len(text.encode()) > MAX_PLAN_BYTES:
        problems = [f"{source}: the plan is over {MAX_PLAN_BYTES:,} bytes"]
    return text, source, problems


def _read_upload(upload, typed: str) -> tuple[str, str, list[str]]:
    name = upload.filename
    # One byte over the limit is enough to know it is too large, without reading it all.
    data = upload.read(MAX_PLAN_BYTES + 1)
    if len(data) > MAX_PLAN_BYTES:
        too_large = f"{name}: the file is over {MAX_PLAN_BYTES:,} bytes; a plan is a few lines"
        return typed, name, [too_large]
    try:
        return data.decode("utf-8-sig"), name, []
    except UnicodeDecodeError as exc:
        return typed, name, [f"{name}: not UTF-8 text (byte {exc.start}); save the plan as UTF-8"]
