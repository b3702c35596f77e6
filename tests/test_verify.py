"""Cross-check and verify on the demo story: contested groups, sources counted by origin,
verdicts with evidence, ClaimReview, and the stance command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from storycheck.api import open_story
from storycheck.cli import app
from storycheck.verify import StoryVerifier


@pytest.fixture(scope="module")
def verifier(demo: tuple[Path, dict]) -> StoryVerifier:
    return open_story(demo[0])


def _doc(story: dict, name: str) -> str:
    return next(d["id"] for d in story["documents"] if d["uri"].endswith(name))


def test_the_disputed_evacuation_figure_is_a_contested_group(demo: tuple[Path, dict]) -> None:
    _, story = demo
    herald, courier = _doc(story, "01-herald-report.html"), _doc(story, "02-courier-report.html")
    contested = [g for g in story["claim_groups"] if g["status"] == "contested"]
    assert contested, "the 1,200 vs 2,100 evacuated dispute is found"
    assert story["claim_groups"][0]["status"] == "contested", "contested groups come first"
    dispute = next(
        g for g in contested if {herald, courier} <= {m["document"] for m in g["members"]}
    )
    stance = {m["document"]: m["stance"] for m in dispute["members"]}
    assert stance[herald] != stance[courier]


def test_a_copy_is_not_a_second_source(demo: tuple[Path, dict]) -> None:
    _, story = demo
    herald, copy = _doc(story, "01-herald-report.html"), _doc(story, "03-aggregator-copy.txt")
    for group in story["claim_groups"]:
        members = {m["document"]: m for m in group["members"]}
        if herald in members and copy in members:
            assert members[copy]["origin"] == members[herald]["origin"]
            agreeing = {m["origin"] for m in group["members"] if m["stance"] == "agrees"}
            assert group["independent_sources"] == len(agreeing)
            assert group["independent_sources"] < len(
                [m for m in group["members"] if m["stance"] == "agrees"]
            )
            return
    pytest.fail("no claim group holds both the Herald report and its copy")


@pytest.mark.parametrize(
    ("claim", "verdicts"),
    [
        ("Repairs to the spillway were costed at £4.5 million and put off until 2027.",
         {"supported"}),
        ("Repairs to the spillway were costed at £9 million.", {"refuted", "conflicting"}),
        # The Courier's side of this one rests on the model alone: its sentence names the
        # villages, not the valley, so no exact check applies (docs/models/stance.md, "The same
        # run reproduced"). A new stance model must still find it.
        ("About 2,100 residents were evacuated from the Ashdown valley.",
         {"conflicting"}),
        ("The city marathon was won by a runner from Kenya.", {"not_enough_evidence"}),
    ],
)  # fmt: skip
def test_verify_answers_claims_written_for_the_test(
    verifier: StoryVerifier, claim: str, verdicts: set[str]
) -> None:
    (verdict,) = verifier.verify([claim])
    assert verdict.verdict in verdicts, verdict.to_json()
    assert 0.0 <= verdict.confidence <= 1.0
    for item in verdict.evidence:
        text = verifier.documents[item.document]
        assert text is not None
    if verdict.verdict != "not_enough_evidence":
        assert verdict.independent_sources >= 1
        assert any(e.stance != "neutral" for e in verdict.evidence)


def test_evidence_points_at_its_sentence(demo: tuple[Path, dict], verifier: StoryVerifier) -> None:
    _, story = demo
    texts = {d["id"]: d["text"] for d in story["documents"]}
    (verdict,) = verifier.verify(["More than 140 millimetres of rain fell in three days."])
    assert verdict.evidence
    for item in verdict.evidence:
        assert texts[item.document][item.start : item.end] == item.text


def test_cli_verify_json_and_claimreview(demo: tuple[Path, dict]) -> None:
    out, _ = demo
    runner = CliRunner()
    claim = "Repairs to the spillway were costed at £4.5 million."
    result = runner.invoke(app, ["verify", claim, "--story", str(out), "--json"])
    assert result.exit_code == 0, result.output
    verdict = json.loads(result.stdout)
    assert set(verdict) >= {"claim", "verdict", "confidence", "evidence", "independent_sources"}
    review = json.loads(
        runner.invoke(app, ["verify", claim, "--story", str(out), "--claimreview"]).stdout
    )
    assert review["@type"] == "ClaimReview"
    assert review["claimReviewed"] == claim
    assert review["reviewRating"]["alternateName"]
    assert review["itemReviewed"]["appearance"]
    assert review["author"]["name"] == "storycheck"


def test_cli_verify_many_claims_from_a_file(demo: tuple[Path, dict], tmp_path: Path) -> None:
    out, _ = demo
    claims = tmp_path / "claims.txt"
    claims.write_text("The dam is stable.\n\nThe reservoir was drained completely.\n")
    result = CliRunner().invoke(app, ["verify", "--claims", str(claims), "--story", str(out)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [x["claim"] for x in lines] == [
        "The dam is stable.",
        "The reservoir was drained completely.",
    ]


def test_cli_verify_without_a_story_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["verify", "x", "--story", str(tmp_path)])
    assert result.exit_code == 2
    assert "analyze" in result.stderr


def test_cli_stance_labels_pairs_in_order(tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.jsonl"
    lines = [
        {"claim": "About 1,200 residents were evacuated.",
         "evidence": "About 2,100 residents were evacuated overnight."},
        "not json",
        {"claim": "The dam is stable.", "evidence": "The dam is stable, the authority said."},
    ]  # fmt: skip
    pairs.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines))
    result = CliRunner().invoke(app, ["stance", str(pairs)])
    assert result.exit_code == 2  # one bad line
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == 3
    assert out[0]["label"] == "refutes"
    assert "error" in out[1]
    assert out[2]["label"] == "supports"
    assert abs(sum(out[2]["scores"].values()) - 1.0) < 1e-3


@pytest.mark.parametrize(
    ("claim", "evidence"),
    [
        ("A Lowmoor Water Authority spokesperson said the work had been scheduled according to "
         "risk.", "An LWA spokesperson said"),
        ("The Lowmoor Water Authority will cooperate fully with the independent review.",
         "The LWA welcomes the independent review"),
    ],
)  # fmt: skip
def test_an_acronym_the_story_defines_meets_its_long_form(
    verifier: StoryVerifier, claim: str, evidence: str
) -> None:
    # the sentences say "LWA"; the story defines "Lowmoor Water Authority (LWA)" elsewhere
    (verdict,) = verifier.verify([claim])
    assert verdict.verdict == "supported", verdict.to_json()
    assert any(e.text.startswith(evidence) and e.stance == "supports" for e in verdict.evidence)
