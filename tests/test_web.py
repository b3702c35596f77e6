"""The web UI's JSON API and its guards, on the demo story (no browser: see test_browser.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from storycheck.cli import app as cli
from storycheck.web import create_app


@pytest.fixture(scope="module")
def client(demo: tuple[Path, dict]) -> TestClient:
    return TestClient(create_app(demo[0], warm=False), base_url="http://127.0.0.1:8000")


def _doc(story: dict, name: str) -> dict:
    return next(d for d in story["documents"] if d["uri"].endswith(name))


def test_home_page_is_the_report_with_a_verify_box(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert 'id="verify-form"' in page.text and 'id="claim-matrix"' in page.text
    for header in ("x-content-type-options", "x-frame-options", "content-security-policy"):
        assert header in page.headers


def test_requests_for_other_hosts_are_refused(demo: tuple[Path, dict]) -> None:
    """A page on another site that rebinds its name to 127.0.0.1 cannot read the story."""
    rebound = TestClient(create_app(demo[0], warm=False), base_url="http://attacker.example")
    assert rebound.get("/api/story").status_code == 400
    anywhere = TestClient(
        create_app(demo[0], allowed_hosts=("*",), warm=False), base_url="http://attacker.example"
    )
    assert anywhere.get("/api/story").status_code == 200


def test_api_serves_every_part_of_story_json(client: TestClient, demo: tuple[Path, dict]) -> None:
    _, story = demo
    assert client.get("/api/story").json() == story
    for path, key in (("/api/derivations", "derivations"), ("/api/claims", "claims"),
                      ("/api/claim-groups", "claim_groups"), ("/api/quotes", "quotes"),
                      ("/api/entities", "entities"), ("/api/events", "events"),
                      ("/api/errors", "errors")):  # fmt: skip
        assert client.get(path).json() == story[key], path


def test_documents_are_listed_in_pages_without_their_text(
    client: TestClient, demo: tuple[Path, dict]
) -> None:
    _, story = demo
    first = client.get("/api/documents", params={"limit": 2}).json()
    rest = client.get("/api/documents", params={"offset": 2, "limit": 100}).json()
    assert first["total"] == len(story["documents"]) == 2 + len(rest["documents"])
    listed = first["documents"] + rest["documents"]
    assert [d["id"] for d in listed] == [d["id"] for d in story["documents"]]
    assert all("text" not in d and "sentences" not in d for d in listed)
    herald = _doc(story, "01-herald-report.html")
    assert client.get(f"/api/documents/{herald['id']}").json() == herald
    claims = client.get(f"/api/documents/{herald['id']}/claims").json()
    assert claims and {c["document"] for c in claims} == {herald["id"]}
    assert client.get("/api/documents", params={"limit": 0}).status_code == 422


def test_filters(client: TestClient, demo: tuple[Path, dict]) -> None:
    _, story = demo
    contested = client.get("/api/claim-groups", params={"status": "contested"}).json()
    assert contested and {g["status"] for g in contested} == {"contested"}
    assert client.get("/api/claim-groups", params={"status": "wrong"}).status_code == 422
    speaker = next(q["speaker"] for q in story["quotes"] if q["speaker"])
    quoted = client.get("/api/quotes", params={"speaker": speaker}).json()
    assert quoted and {q["speaker"] for q in quoted} == {speaker}


@pytest.mark.parametrize(
    "path",
    [
        "/api/documents/nope",
        "/api/documents/nope/claims",
        "/files/..%2fstory.db",
        "/files/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/files/..%5c..%5cstory.json",
        "/files/%2fetc%2fpasswd",
        "/../../etc/passwd",
        "/files/../../etc/passwd",
        "/files/story.db%00.json",
    ],
)
def test_paths_cannot_leave_the_story(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404, path
    assert "root:" not in response.text


def test_story_files_download(client: TestClient, demo: tuple[Path, dict]) -> None:
    folder, story = demo
    assert json.loads(client.get("/files/story.json").content) == story
    report = client.get("/files/report.html")
    assert report.text == (folder / "report.html").read_text(encoding="utf-8")
    assert 'id="verify-form"' not in report.text, "the file on disk has no live verify box"


def test_verify_answers_with_evidence_that_points_into_the_story(
    client: TestClient, demo: tuple[Path, dict]
) -> None:
    _, story = demo
    texts = {d["id"]: d["text"] for d in story["documents"]}
    sentences = {d["id"]: d["sentences"] for d in story["documents"]}
    verdict = client.post("/api/verify", json={"claim": "About 2,100 residents were evacuated."})
    assert verdict.status_code == 200
    body = verdict.json()
    assert body["verdict"] == "conflicting", "the Courier's 2,100 against the Herald's 1,200"
    assert body["independent_sources"] >= 2
    stances = {e["stance"] for e in body["evidence"]}
    assert {"supports", "refutes"} <= stances
    for item in body["evidence"]:
        assert texts[item["document"]][item["start"] : item["end"]] == item["text"]
        assert sentences[item["document"]][item["sentence"]]["start"] == item["start"]


def test_verify_rejects_empty_and_oversized_claims(client: TestClient) -> None:
    assert client.post("/api/verify", json={"claim": ""}).status_code == 422
    assert client.post("/api/verify", json={"claim": "x" * 2001}).status_code == 422
    assert client.post("/api/verify", content=b"not json").status_code == 422


def test_claimreview(client: TestClient) -> None:
    review = client.post("/api/claimreview", json={"claim": "The dam was inspected in 2023."})
    assert review.status_code == 200
    body = review.json()
    assert body["@type"] == "ClaimReview"
    assert body["claimReviewed"] == "The dam was inspected in 2023."


def test_openapi_describes_the_api_and_no_cdn_pages_are_served(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert {"/api/verify", "/api/claimreview", "/api/story", "/api/documents/{doc_id}",
            "/api/claim-groups"} <= set(schema["paths"])  # fmt: skip
    verdict = schema["components"]["schemas"]["VerdictOut"]["properties"]
    assert {"verdict", "confidence", "evidence", "independent_sources"} <= set(verdict)
    assert client.get("/docs").status_code == 404


def test_serve_refuses_a_folder_without_a_story(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["serve", str(tmp_path)])
    assert result.exit_code == 2
    assert "no story.json" in result.stderr
