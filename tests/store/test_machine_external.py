"""`qa-app machine score --external`: a team's own language model over the OpenAI-compatible
chat-completions protocol, against a local server the test starts.

The server answers by what the transcript says: a well-formed answer, an answer off the
scale, one that is not JSON, one missing a dimension, or an HTTP error. Only the first gives
scores; every other call is a recorded failure, never a guessed score.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlmodel import Session, select

from qa_app.models import MachineFailure, MachineModel, MachineScore
from tests.conftest import RUBRICS_DIR
from tests.store.test_imports import good_row, write_calls

DIMENSIONS = ("acknowledgment", "summary", "next_steps", "loop_closure")
SEEN: list[dict] = []


def _content(transcript: str) -> str | None:
    """What the made-up model says, by the call's transcript; None for an HTTP error."""
    good = {d: {"score": 4, "evidence": [2], "reason": "Names the worry."} for d in DIMENSIONS}
    if "KIND good" in transcript:
        return json.dumps({"dimensions": good})
    if "KIND offscale" in transcript:
        return json.dumps({"dimensions": good | {"summary": {"score": 9, "evidence": [1],
                                                             "reason": "x"}}})  # fmt: skip
    if "KIND prose" in transcript:
        return "I think the agent did well overall, maybe a 4."
    if "KIND missing" in transcript:
        return json.dumps({"dimensions": {d: good[d] for d in DIMENSIONS[:3]}})
    return None


class Model(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - the http.server name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        SEEN.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        content = _content(body["messages"][1]["content"])
        if content is None:
            self.send_response(503)
            self.end_headers()
            return
        answer = json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(answer.encode())

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture
def model_server():
    SEEN.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Model)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_answers_that_fit_are_scores_and_the_rest_are_failures(
    app, engine, cli, tmp_path, model_server, monkeypatch
):
    cli("rubric", "load", RUBRICS_DIR / "empathy-v1.toml")
    kinds = ("good", "offscale", "prose", "missing", "down")
    rows = [good_row(f"C-{kind}", transcript=f"Agent: Hello.\nCustomer: KIND {kind}.")
            for kind in kinds]  # fmt: skip
    assert cli("import", "calls", write_calls(tmp_path / "calls.csv", rows)).exit_code == 0
    assert "QA_APP_MACHINE_URL" in cli("machine", "score", "--external").output
    monkeypatch.setenv("QA_APP_MACHINE_URL", model_server)
    monkeypatch.setenv("QA_APP_MACHINE_MODEL", "team-llm")
    monkeypatch.setenv("QA_APP_MACHINE_KEY", "test-key")
    result = cli("machine", "score", "--external")
    assert result.exit_code == 0, result.output
    assert "Scored 1 calls with team-llm (machine model v1); 4 answers did not fit" in (
        result.output
    )
    request = SEEN[0]
    assert request["path"] == "/v1/chat/completions" and request["auth"] == "Bearer test-key"
    assert request["body"]["model"] == "team-llm" and request["body"]["temperature"] == 0
    system = request["body"]["messages"][0]["content"]
    # The rubric's operational definitions, every point, and the turns numbered from 1.
    assert "Dimension 'acknowledgment'" in system and "  5: " in system
    assert "[1] Agent: Hello." in request["body"]["messages"][1]["content"]
    with Session(engine) as session:
        model = session.exec(select(MachineModel)).one()
        assert (model.kind, model.model_name, model.endpoint) == ("external", "team-llm",
                                                                   model_server)  # fmt: skip
        scores = session.exec(select(MachineScore)).all()
        assert {(s.dimension, s.score, tuple(s.evidence), s.reason) for s in scores} == {
            (d, 4, (1,), "Names the worry.") for d in DIMENSIONS
        }
        failures = {f.error for f in session.exec(select(MachineFailure))}
    assert failures == {
        "dimension summary: score 9 is not a whole point from 1 to 5",
        "the answer is not JSON (Expecting value at 0)",
        "dimensions: missing loop_closure",
        "the endpoint answered HTTP 503",
    }
    # Run again: nothing is asked twice, neither the scored call nor the failures.
    SEEN.clear()
    again = cli("machine", "score", "--external")
    assert "Scored 0 calls" in again.output and SEEN == []
