"""The command line: outputs, one-line reasons for skipped inputs, exit statuses, URLs."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from typer.testing import CliRunner

from conftest import HTML_PAGE, REPORT
from storycheck.cli import app

runner = CliRunner()


def test_help_everywhere():
    for args in ([], ["--help"], ["analyze", "--help"], ["demo", "--help"]):
        result = runner.invoke(app, args)
        assert "Usage" in result.output
        assert result.exit_code in (0, 2)  # bare `storycheck` shows help with usage status


def test_analyze_writes_outputs_and_reports_skips(write, tmp_path):
    good = write("in/crane.txt", REPORT)
    bad = write("in/photo.txt", b"\x89PNG\r\n\x1a\n" + bytes(256))
    # Text is untrusted: markup inside a plain-text document must reach the page inert.
    write("in/xss.txt", REPORT.replace("14 ships", "14 <script>alert(1)</script> ships"))
    out = tmp_path / "out"
    result = runner.invoke(app, ["analyze", str(good.parent), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"skipped {bad}: binary file" in result.stderr
    assert "2 documents (2 new" in result.stderr
    assert f"report: {out / 'report.html'}" in result.stdout
    story = json.loads((out / "story.json").read_text())
    assert {d["title"] for d in story["documents"]} == {"Harbour crane collapses at Port Selwick"}
    assert len(story["documents"]) == 2
    assert story["errors"] == [{"input": str(bad), "reason": story["errors"][0]["reason"]}]
    assert (out / "story.db").exists()
    page = (out / "report.html").read_text()
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page


def test_quiet_prints_only_paths_and_errors(write, tmp_path):
    result = runner.invoke(
        app, ["analyze", str(write("a.txt", REPORT)), "-o", str(tmp_path / "o"), "--quiet"]
    )
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout.startswith("report: ")


def test_nothing_readable_exits_2(write, tmp_path):
    result = runner.invoke(app, ["analyze", str(write("e.txt", "")), "-o", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "empty input" in result.stderr
    assert "no document could be read" in result.stderr


def test_bad_usage_exits_2():
    assert runner.invoke(app, ["analyze"]).exit_code == 2
    assert runner.invoke(app, ["analyze", "x", "--no-such-option"]).exit_code == 2


def test_demo_story(tmp_path):
    result = runner.invoke(app, ["demo", "--out", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    assert "report: " in result.stdout
    story = json.loads((tmp_path / "demo" / "story.json").read_text())
    assert len(story["documents"]) >= 6 and story["errors"] == []
    assert any(d["republished_from"] for d in story["documents"])


@pytest.fixture
def local_site():
    """A news page served on 127.0.0.1, counting the requests it gets."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            hits.append(self.path)
            body = HTML_PAGE.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/news/crane", hits
    server.shutdown()
    server.server_close()


def test_urls_to_private_addresses_are_refused_unless_allowed(local_site, tmp_path):
    url, hits = local_site
    refused = runner.invoke(app, ["analyze", url, "-o", str(tmp_path / "a")])
    assert refused.exit_code == 2
    assert "--allow-private" in refused.stderr and hits == []
    allowed = runner.invoke(app, ["analyze", url, "-o", str(tmp_path / "b"), "--allow-private"])
    assert allowed.exit_code == 0, allowed.output
    assert hits == ["/news/crane"]
    (doc,) = json.loads((tmp_path / "b" / "story.json").read_text())["documents"]
    assert doc["uri"] == url and doc["author"] == "Priya Lund"
    assert doc["source"] == "selwickgazette.example"


def test_despin_command(write):
    from storycheck.repair.spinner import spin

    clean = REPORT.split("\n", 1)[1] * 3
    spun = spin(clean, seed=3).text
    assert spun != clean
    spun_file = write("spun.txt", spun)
    repaired = runner.invoke(app, ["despin", str(spun_file)])
    assert repaired.exit_code == 0
    changed = sum(a != b for a, b in zip(spun.split(), repaired.stdout.split(), strict=False))
    assert changed > 0  # something was restored
    log = json.loads(runner.invoke(app, ["despin", str(spun_file), "--json"]).stdout)
    assert set(log) == {"score", "spun", "repairs", "suspects"}
    assert log["spun"] is True and log["repairs"]
    assert all(
        set(r) == {"start", "end", "observed", "restored", "confidence"} for r in log["repairs"]
    )
    assert all(
        set(s) == {"start", "end", "observed", "likely", "suspicion"} for s in log["suspects"]
    )
    for word in log["repairs"] + log["suspects"]:
        assert spun[word["start"] : word["end"]] == word["observed"]
    again = runner.invoke(app, ["despin", str(spun_file), "--rounds", "2"])
    assert again.exit_code == 0 and again.stdout != spun
    for rounds in ("0", "3"):
        assert runner.invoke(app, ["despin", str(spun_file), "--rounds", rounds]).exit_code == 2
    untouched = runner.invoke(app, ["despin", "-"], input=clean)
    assert untouched.stdout == clean
    assert runner.invoke(app, ["despin", str(write("x.bin", b"\x00\x01\x02"))]).exit_code == 2
