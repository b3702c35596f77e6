"""A FastAPI app that shows one story folder and answers verify requests about it.

The pages are the report itself, rendered live with a box to verify a claim; the JSON API
serves every part of story.json and the verifier, and FastAPI describes it at
``/openapi.json``. FastAPI's interactive docs pages are switched off: they load their scripts
from a CDN, and storycheck works offline.

Document text is untrusted, and a local server is reachable by any page the user's browser
opens. So: the app only ever reads the three files ``analyze`` wrote, named here, never a path
taken from a URL; bound to loopback it answers only requests addressed to a loopback name (a
DNS-rebinding page cannot read the story); and every response forbids framing and sniffing.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import FastAPI, HTTPException, Query
from fastapi.responses import FileResponse, HTMLResponse
from pydantic import BaseModel, Field
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import Response

from storycheck import __version__
from storycheck.config import DEFAULT_SETTINGS, Settings
from storycheck.errors import StorycheckError
from storycheck.report import render_report
from storycheck.verify import StoryVerifier, claim_review

#: Host names a loopback-bound server answers to (DNS-rebinding guard).
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")
#: The files of a story folder the app may send, with their media types. Nothing else in the
#: folder, and nothing outside it, is ever read on a request's behalf.
DOWNLOADS = {
    "story.json": "application/json",
    "report.html": "text/html; charset=utf-8",
    "story.db": "application/vnd.sqlite3",
}
# A claim longer than this is not a claim; the cap keeps one request from tying up the model.
MAX_CLAIM_CHARS = 2000
_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "frame-ancestors 'none'",
}


class VerifyRequest(BaseModel):
    claim: str = Field(min_length=1, max_length=MAX_CLAIM_CHARS, description="The claim to check.")


class EvidenceOut(BaseModel):
    document: str = Field(description="Id of the document the sentence is in.")
    sentence: int = Field(description="The sentence's index in that document.")
    start: int = Field(description="Character offset of the sentence in the document's text.")
    end: int
    text: str
    stance: Literal["supports", "refutes", "neutral"]
    score: float
    origin: str = Field(description="The independent origin the document derives from.")
    reasons: list[str] = Field(description="Exact checks that decided the stance, if any.")


class VerdictOut(BaseModel):
    claim: str
    verdict: Literal["supported", "refuted", "conflicting", "not_enough_evidence"]
    confidence: float
    evidence: list[EvidenceOut]
    independent_sources: int = Field(description="Independent origins taking a side.")


class Story:
    """One story folder: story.json read once, the verifier loaded on first need."""

    def __init__(self, folder: Path, settings: Settings) -> None:
        self.folder = folder
        self.settings = settings
        path = folder / "story.json"
        if not path.is_file():
            raise StorycheckError(f"{folder}: no story.json here; run `storycheck analyze` first")
        self.data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        self.documents = {d["id"]: d for d in self.data.get("documents", [])}
        self.page = render_report(self.data, verify_api="api/verify")
        self._verifier: StoryVerifier | None = None
        self._lock = threading.Lock()

    def verifier(self) -> StoryVerifier:
        """The story's verifier; loading indexes every sentence, so it happens once."""
        with self._lock:
            if self._verifier is None:
                self._verifier = StoryVerifier.open(self.folder)
            return self._verifier

    def part(self, key: str) -> list[dict[str, Any]]:
        return self.data.get(key) or []

    def document(self, doc_id: str) -> dict[str, Any]:
        if doc_id not in self.documents:
            raise HTTPException(404, f"no document {doc_id!r} in this story")
        return self.documents[doc_id]


def _summary(doc: dict[str, Any]) -> dict[str, Any]:
    """A document without its text and sentences, for listings."""
    return {k: v for k, v in doc.items() if k not in ("text", "sentences", "signals")}


def create_app(
    folder: Path,
    *,
    allowed_hosts: Sequence[str] = LOOPBACK_HOSTS,
    settings: Settings = DEFAULT_SETTINGS,
    warm: bool = True,
) -> FastAPI:
    """The app for the story that ``analyze`` wrote to ``folder``.

    ``allowed_hosts`` are the Host header values answered (``("*",)`` for any, when the server
    listens on a public interface on purpose). ``warm`` starts loading the verifier in the
    background, so the first verify answers quickly.
    """
    story = Story(folder, settings)
    app = FastAPI(
        title="storycheck",
        version=__version__,
        summary="A story checked across its sources: documents, derivations, claims, verdicts.",
        docs_url=None,
        redoc_url=None,
    )
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response = await call_next(request)
        response.headers.update(_SECURITY_HEADERS)
        return response

    if warm:
        threading.Thread(target=story.verifier, name="storycheck-verifier", daemon=True).start()

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page() -> str:
        return story.page

    @app.get("/files/{name}", include_in_schema=False)
    def download(name: str) -> FileResponse:
        if name not in DOWNLOADS or not (story.folder / name).is_file():
            raise HTTPException(404, "not a file of this story")
        return FileResponse(story.folder / name, media_type=DOWNLOADS[name])

    @app.get("/api/story", tags=["story"])
    def whole_story() -> dict[str, Any]:
        """The whole story.json (see docs/story-json.md)."""
        return story.data

    @app.get("/api/documents", tags=["story"])
    def documents(
        offset: Annotated[int, Query(ge=0)] = 0, limit: Annotated[int, Query(ge=1, le=1000)] = 100
    ) -> dict[str, Any]:
        """The documents without their text, a page at a time."""
        docs = story.part("documents")
        return {"total": len(docs), "offset": offset,
                "documents": [_summary(d) for d in docs[offset : offset + limit]]}  # fmt: skip

    @app.get("/api/documents/{doc_id}", tags=["story"])
    def document(doc_id: str) -> dict[str, Any]:
        """One document with its text, sentences, signals and repairs."""
        return story.document(doc_id)

    @app.get("/api/documents/{doc_id}/claims", tags=["story"])
    def document_claims(doc_id: str) -> list[dict[str, Any]]:
        story.document(doc_id)
        return [c for c in story.part("claims") if c.get("document") == doc_id]

    @app.get("/api/derivations", tags=["story"])
    def derivations() -> list[dict[str, Any]]:
        """Which document derives from which: copies, spun copies, rewrites, quotations."""
        return story.part("derivations")

    @app.get("/api/claims", tags=["story"])
    def claims(document: str | None = None) -> list[dict[str, Any]]:
        """Check-worthy claims, optionally of one document."""
        found = story.part("claims")
        return [c for c in found if document is None or c.get("document") == document]

    @app.get("/api/claim-groups", tags=["story"])
    def claim_groups(
        status: Literal["contested", "corroborated", "single_source"] | None = None,
    ) -> list[dict[str, Any]]:
        """The same claim across documents, with each member's stance; contested first."""
        found = story.part("claim_groups")
        return [g for g in found if status is None or g.get("status") == status]

    @app.get("/api/quotes", tags=["story"])
    def quotes(speaker: str | None = None) -> list[dict[str, Any]]:
        """Quotes and reported speech, optionally of one speaker entity."""
        found = story.part("quotes")
        return [q for q in found if speaker is None or q.get("speaker") == speaker]

    @app.get("/api/entities", tags=["story"])
    def entities() -> list[dict[str, Any]]:
        return story.part("entities")

    @app.get("/api/events", tags=["story"])
    def events() -> list[dict[str, Any]]:
        """Dated events, in time order."""
        return story.part("events")

    @app.get("/api/errors", tags=["story"])
    def errors() -> list[dict[str, Any]]:
        """Inputs that could not be read, with the reason."""
        return story.part("errors")

    @app.post("/api/verify", tags=["verify"])
    def verify(request: VerifyRequest) -> VerdictOut:
        """A verdict on the claim, with the evidence sentences and independent sources."""
        verdict = story.verifier().verify([request.claim])[0]
        return VerdictOut.model_validate(verdict.to_json())

    @app.post("/api/claimreview", tags=["verify"])
    def claimreview(request: VerifyRequest) -> dict[str, Any]:
        """The verdict as schema.org ClaimReview JSON-LD."""
        verifier = story.verifier()
        verdict = verifier.verify([request.claim])[0]
        return claim_review(verdict, verifier.documents, story.settings.reviewer)

    return app
