"""Uploading on the Import page as a browser does: post, follow the redirect, watch the job."""

from __future__ import annotations

import io
import time

JOB_PATH = "/imports/jobs/"


def post_upload(client, token: str, kind: str, content: bytes, filename: str, **fields):
    return client.post(
        "/imports",
        data={
            "csrf_token": token,
            "kind": kind,
            "file": (io.BytesIO(content), filename),
            **fields,
        },
        content_type="multipart/form-data",
    )


def wait_for_job(client, location: str, timeout: float = 30.0):
    """Poll the job's fragment (as the page's htmx does) until it stops polling, then return
    the job's full page as the user finally sees it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        fragment = client.get(location, headers={"HX-Request": "true"})
        assert fragment.status_code == 200, fragment.status_code
        if "hx-get" not in fragment.get_data(as_text=True):
            return client.get(location)
        time.sleep(0.05)
    raise AssertionError(f"the import at {location} did not finish within {timeout} s")


def upload(client, token: str, kind: str, content: bytes, filename: str, **fields):
    """Upload, check the answer is an immediate redirect to the job, and return the job's
    page once the import ended."""
    response = post_upload(client, token, kind, content, filename, **fields)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    location = response.headers["Location"]
    assert location.startswith(JOB_PATH)
    return wait_for_job(client, location)
