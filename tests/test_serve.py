"""`katern serve`: the live preview, run in-process on 127.0.0.1 with a scratch project (HTML builds)."""

from __future__ import annotations

import http.client
import json
import logging
import socket
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import record_front, write_record
from katern.build import build
from katern.cli import cli
from katern.errors import BuildError, KaternError
from katern.serve import HOST, Preview, _Filter, confined

WAIT = 20.0  # seconds a rebuild after an edit may take before a test gives up
RECORD = "content/records/zwolle-think-op-school.md"  # in the brochure van-nul-tot-later only


def get(preview: Preview, path: str, host: str | None = None) -> tuple[int, str, bytes]:
    """Send `GET path` exactly as given (no normalisation of `..`) and return (status, content type, body)."""
    connection = http.client.HTTPConnection(HOST, preview.server_port, timeout=10)
    try:
        connection.putrequest("GET", path, skip_host=host is not None, skip_accept_encoding=True)
        if host is not None:
            connection.putheader("Host", host)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read()
    finally:
        connection.close()


def status(preview: Preview) -> dict:
    code, kind, body = get(preview, "/status")
    assert code == 200 and kind.startswith("application/json")
    return json.loads(body)


def wait_for_build(preview: Preview, after: int = 0, timeout: float = WAIT) -> dict:
    """Poll /status until a rebuild numbered above `after` has finished; return the status."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = status(preview)
        if now["counter"] > after and not now["building"]:
            return now
        time.sleep(0.05)
    raise AssertionError(f"no rebuild after #{after} within {timeout} s: {status(preview)}")


def edit(root: Path, old: str, new: str, path: str = RECORD) -> None:
    file = root / path
    text = file.read_text(encoding="utf-8")
    assert old in text
    file.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture
def preview(scratch_project):
    """A preview of the scratch project on a free port, HTML only, after its first build."""
    preview = Preview(scratch_project, port=0, formats=("html",), debounce_ms=100)
    preview.start()
    wait_for_build(preview)
    yield preview
    preview.stop()


@pytest.fixture
def serve_log():
    """The lines katern.serve logs (a handler of its own: the CLI may have stopped propagation)."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(f"{record.levelname}: {record.getMessage()}")

    logger = logging.getLogger("katern.serve")
    handler, level = Collect(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield lines
    logger.removeHandler(handler)
    logger.setLevel(level)


# --- serving ------------------------------------------------------------------------------------


def test_serves_the_preview_pages_and_the_outputs(preview):
    assert preview.url == f"http://127.0.0.1:{preview.server_port}/"
    assert preview._server.server_address[0] == "127.0.0.1"

    code, kind, body = get(preview, "/")
    assert (code, kind) == (200, "text/html; charset=utf-8")
    page = body.decode("utf-8")
    assert 'href="/p/van-nul-tot-later"' in page and 'href="/p/zuid-holland"' in page
    assert "Integraal werken (Zuid-Holland)" in page

    code, kind, body = get(preview, "/p/van-nul-tot-later")
    assert (code, kind) == (200, "text/html; charset=utf-8")
    page = body.decode("utf-8")
    assert '<iframe data-kind="html"' in page and 'src="/build/van-nul-tot-later.html?v=1"' in page
    assert '<script src="/preview.js"></script>' in page

    code, kind, body = get(preview, "/build/van-nul-tot-later.html")
    assert (code, kind) == (200, "text/html; charset=utf-8")
    assert body == (preview.out_dir / "van-nul-tot-later.html").read_bytes()
    assert get(preview, "/build/van-nul-tot-later.html?v=7")[0] == 200

    code, kind, body = get(preview, "/preview.js")
    assert (code, kind) == (200, "text/javascript; charset=utf-8")
    assert b"EventSource" in body and b"/status" in body

    assert get(preview, "/p/no-such-publication")[0] == 404
    assert get(preview, "/nothing-here")[0] == 404


def test_the_preview_works_offline(preview):
    """Nothing in the pages or the script loads from another host; a policy says so to the browser too."""
    for path in ("/", "/p/van-nul-tot-later", "/preview.js"):
        body = get(preview, path)[2].decode("utf-8")
        assert "http://" not in body and "https://" not in body and "//" + "cdn" not in body, path
    connection = http.client.HTTPConnection(HOST, preview.server_port, timeout=10)
    connection.request("GET", "/")
    policy = connection.getresponse().getheader("Content-Security-Policy")
    connection.close()
    assert "default-src 'none'" in policy and "script-src 'self'" in policy


def test_status_and_events(preview):
    now = status(preview)
    assert now["counter"] == 1 and now["last"]["changed"] is None
    assert now["last"]["rebuilt"] == ["van-nul-tot-later", "zuid-holland"]
    assert now["publications"]["van-nul-tot-later"]["files"] == {"html": "/build/van-nul-tot-later.html"}
    assert now["publications"]["van-nul-tot-later"]["versions"] == {"html": 1}

    connection = http.client.HTTPConnection(HOST, preview.server_port, timeout=10)
    connection.request("GET", "/events")
    response = connection.getresponse()
    assert response.getheader("Content-Type") == "text/event-stream; charset=utf-8"
    assert response.readline() == b"event: status\n"
    event = json.loads(response.readline().removeprefix(b"data: "))
    assert event == {"counter": 1, "building": False, "revision": now["revision"]}
    connection.close()


@pytest.mark.parametrize(
    "path",
    [
        f"/build/../{RECORD}",
        f"/build/%2e%2e/{RECORD}",
        f"/build/%2E%2E/{RECORD}",
        f"/build/..%2f{RECORD.replace('/', '%2f')}",
        "/build/../../etc/passwd",
        "/build/%2e%2e/%2e%2e/etc/passwd",
        "/build//etc/passwd",
        "/build/%2fetc%2fpasswd",
        "/build/..%5c..%5cetc%5cpasswd",
        "/build/./van-nul-tot-later.html",
        "/build/van-nul-tot-later.html%00.txt",
        "/build/",
        "/build/.hidden",
        "/build/leak.md",  # a symlink to a record: out of the build folder
        "/build/etc",  # a symlink to /etc
        "/build/etc/passwd",
    ],
)
def test_only_files_of_the_build_folder_are_served(preview, path):
    (preview.out_dir / ".hidden").write_text("secret", encoding="utf-8")
    (preview.out_dir / "leak.md").symlink_to(preview.root / RECORD)
    (preview.out_dir / "etc").symlink_to("/etc")
    code, _kind, body = get(preview, path)
    assert code == 404, (path, body[:80])
    assert b"Zwolle" not in body and b"root:" not in body


def test_confined_allows_a_link_that_stays_inside(tmp_path):
    (tmp_path / "a.html").write_text("a", encoding="utf-8")
    (tmp_path / "same.html").symlink_to(tmp_path / "a.html")
    assert confined(tmp_path, "same.html") == tmp_path / "a.html"
    assert confined(tmp_path, "a%2ehtml") == tmp_path / "a.html"
    assert confined(tmp_path, "missing.html") is None


def test_pdf_is_served_beside_the_html(scratch_project):
    with Preview(scratch_project, ["zuid-holland"], port=0, watch=False) as preview:
        now = wait_for_build(preview, timeout=60)
        assert now["publications"]["zuid-holland"]["ok"], now
        assert set(now["publications"]) == {"zuid-holland"}
        code, kind, body = get(preview, "/build/zuid-holland.pdf")
        assert (code, kind) == (200, "application/pdf") and body.startswith(b"%PDF-")
        page = get(preview, "/p/zuid-holland")[2].decode("utf-8")
        assert 'src="/build/zuid-holland.html?v=1"' in page
        assert 'src="/build/zuid-holland.pdf?v=1#view=FitH"' in page
        assert get(preview, "/build/zuid-holland.accessibility.json")[1] == "application/json; charset=utf-8"


def test_other_host_names_are_refused(preview):
    """A page on another site cannot read the preview through DNS rebinding."""
    assert get(preview, "/status", host="evil.example:80")[0] == 403
    assert get(preview, "/status", host=f"localhost:{preview.server_port}")[0] == 200


# --- rebuilding ---------------------------------------------------------------------------------


def test_an_edit_rebuilds_the_publication_that_uses_the_record(preview, serve_log):
    before = status(preview)["counter"]
    edit(preview.root, "Het verhaal uit Zwolle", "Het prachtige verhaal uit Zwolle")
    now = wait_for_build(preview, before)
    assert now["last"]["changed"] == [RECORD]
    assert now["last"]["rebuilt"] == ["van-nul-tot-later"]  # zuid-holland does not print this record
    assert now["publications"]["van-nul-tot-later"]["versions"] == {"html": now["counter"]}
    assert b"prachtige" in get(preview, "/build/van-nul-tot-later.html")[2]
    assert b"prachtige" in (preview.out_dir / "van-nul-tot-later.html").read_bytes()
    line = next(line for line in serve_log if RECORD in line)
    assert line.startswith(f"INFO: [{now['counter']}] changed {RECORD}; rebuilt van-nul-tot-later (")
    assert line.endswith(" s)")


def test_a_broken_record_shows_and_the_preview_recovers(preview, serve_log):
    good = get(preview, "/build/van-nul-tot-later.html")[2]
    before = status(preview)["counter"]
    edit(preview.root, "date: 2017-09-01", "date: 1 september")
    now = wait_for_build(preview, before)
    pub = now["publications"]["van-nul-tot-later"]
    assert pub["ok"] is False and "'1 september' is not a date" in pub["error"]
    assert any("'1 september' is not a date" in problem for problem in now["problems"])
    assert now["last"]["failed"] == ["van-nul-tot-later"]
    assert any(line.startswith("ERROR: van-nul-tot-later failed: ") for line in serve_log)

    # The server still answers, shows the error, and keeps the last good outputs.
    for path in ("/", "/p/van-nul-tot-later"):
        code, _kind, body = get(preview, path)
        assert code == 200
        page = body.decode("utf-8")
        assert 'id="banner" role="alert">' in page and "1 september&#x27; is not a date" in page
    assert get(preview, "/build/van-nul-tot-later.html")[2] == good

    file = preview.root / RECORD
    fixed = file.read_text(encoding="utf-8").replace("date: 1 september", "date: 2017-09-01")
    file.write_text(fixed.replace("Het verhaal uit Zwolle", "Het herstelde verhaal uit Zwolle"), encoding="utf-8")
    now = wait_for_build(preview, now["counter"])
    assert now["publications"]["van-nul-tot-later"]["ok"] is True
    assert now["problems"] == [] and now["error"] is None
    assert b"herstelde" in get(preview, "/build/van-nul-tot-later.html")[2]
    assert 'role="alert" hidden>' in get(preview, "/p/van-nul-tot-later")[2].decode("utf-8")


def test_a_project_that_does_not_load_is_shown_and_survived(preview):
    """Even content/ going away (a checkout of another branch) is an error on the page, not the end."""
    content = preview.root / "content"
    aside = preview.root / "content-aside"
    before = status(preview)["counter"]
    content.rename(aside)
    try:
        step = preview.rebuild([content / "records"])
        assert step.error and not step.results
        assert status(preview)["error"] == step.error
        assert get(preview, "/")[0] == 200
    finally:
        aside.rename(content)
    assert preview.rebuild().ok
    assert status(preview)["counter"] > before


def test_what_a_change_touches(preview, serve_log):
    root = preview.root
    project = preview.project
    touched = preview.touched
    assert touched(project, project, [root / RECORD]) == ["van-nul-tot-later"]
    assert touched(project, project, [root / "content/records/leiden-vliegende-brigade.md"]) == ["zuid-holland"]
    assert touched(project, project, [root / "content/records/de-marne-jeugdsoos.md"]) == []
    assert touched(project, project, [root / "content/publications/zuid-holland.yaml"]) == ["zuid-holland"]
    everything = ["van-nul-tot-later", "zuid-holland"]
    assert touched(project, project, [root / "styles/vws/brochure.css"]) == everything
    assert touched(project, project, [root / "content/factors.yaml"]) == everything
    assert touched(project, project, None) == everything

    # A record that starts to match a query is in the publication after the edit.
    write_record(root, "dordrecht-nieuw", record_front("leiden-vliegende-brigade", place="Dordrecht"))
    step = preview.rebuild([root / "content/records/dordrecht-nieuw.md"])
    assert step.names == ["zuid-holland"] and step.ok
    step = preview.rebuild([root / "content/records/de-marne-jeugdsoos.md"])
    assert step.names == [] and step.results == [] and step.ok
    assert serve_log[-1].endswith(
        f"changed content/records/de-marne-jeugdsoos.md; no publication uses it ({step.seconds:.2f} s)"
    )


def test_editor_temporary_files_and_the_build_folder_are_no_edits(tmp_path):
    from watchfiles import Change

    keep = _Filter(ignore_paths=[str(tmp_path / "build")])
    records = tmp_path / "content" / "records"
    for name in (
        ".zwolle.md.swp",
        "zwolle.md~",
        ".#zwolle.md",
        "#zwolle.md#",
        "4913",
        ".zwolle.md.k3j4h5g6.tmp",
        ".~lock.factors.csv#",
        "zwolle.md.tmp",
        "sedAb12Cd",
    ):
        assert not keep(Change.added, str(records / name)), name
    assert not keep(Change.modified, str(tmp_path / "build" / "van-nul-tot-later.html"))
    assert keep(Change.modified, str(records / "zwolle-think-op-school.md"))
    assert keep(Change.deleted, str(tmp_path / "styles" / "vws" / "brochure.css"))


def test_a_file_made_and_removed_in_one_change_set_is_no_edit(tmp_path):
    from watchfiles import Change

    from katern.serve import _edits

    record = tmp_path / "zwolle.md"
    record.write_text("x", encoding="utf-8")
    gone = tmp_path / "zwolle.md.save"
    changes = {(Change.added, str(gone)), (Change.deleted, str(gone)), (Change.deleted, str(record))}
    changes |= {(Change.added, str(record)), (Change.deleted, str(tmp_path / "removed.md"))}
    assert _edits(changes) == [tmp_path / "removed.md", record]


# --- starting and stopping ----------------------------------------------------------------------


def test_stop_ends_every_thread_and_the_event_streams(scratch_project):
    preview = Preview(scratch_project, port=0, formats=("html",))
    preview.start()
    wait_for_build(preview)
    port = preview.server_port
    assert {t.name for t in preview.threads()} == {"katern-serve-http", "katern-serve-build", "katern-serve-watch"}
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    connection.request("GET", "/events")
    events = connection.getresponse()
    assert events.readline() == b"event: status\n"
    started = time.monotonic()
    preview.stop()
    assert time.monotonic() - started < 10
    assert preview.threads() == []
    events.read()  # the stream ends
    connection.close()
    with pytest.raises(ConnectionRefusedError), socket.create_connection((HOST, port), timeout=2):
        pass
    preview.stop()  # a second stop does nothing


def test_a_taken_port_gives_the_next_free_one(scratch_project, serve_log):
    with socket.socket() as taken:
        taken.bind((HOST, 0))
        taken.listen()
        port = taken.getsockname()[1]
        preview = Preview(scratch_project, port=port, watch=False)
        preview.start(initial_build=False)
        try:
            assert preview.server_port > port
            assert f"INFO: port {port} is in use; serving on port {preview.server_port} instead" in serve_log
        finally:
            preview.stop()
        exact = Preview(scratch_project, port=port, port_fallback=False, watch=False)
        with pytest.raises(KaternError, match=f"port {port} is in use"):
            exact.start(initial_build=False)
        exact.stop()


def test_an_unknown_publication_is_refused_with_a_suggestion(scratch_project):
    with pytest.raises(BuildError, match="no publication 'van-nul-tot-latr'. Did you mean 'van-nul-tot-later'"):
        Preview(scratch_project, ["van-nul-tot-latr"], port=0, watch=False).start()


# --- the command --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def test_serve_command_prints_the_url_and_stops_cleanly_on_ctrl_c(scratch_project, monkeypatch):
    opened = []
    monkeypatch.setattr("webbrowser.open", lambda url, *a, **k: opened.append(url))
    seen = {}

    def interrupt(self, timeout=None):
        seen["threads"] = {t.name for t in self.threads()}
        raise KeyboardInterrupt

    monkeypatch.setattr(Preview, "wait", interrupt)
    port = free_port()
    result = CliRunner().invoke(cli, ["serve", "--project", str(scratch_project), "--port", str(port)])
    assert result.exit_code == 0, result.output
    assert f"Serving the preview at http://127.0.0.1:{port}/ (press Ctrl-C to stop)" in result.stdout
    assert result.stdout.rstrip().endswith("Stopped.")
    assert opened == []  # not a terminal: no browser
    assert "katern-serve-watch" in seen["threads"]


def test_serve_command_with_no_browser_and_a_name(scratch_project, monkeypatch):
    monkeypatch.setattr("webbrowser.open", lambda *a, **k: pytest.fail("opened a browser"))
    monkeypatch.setattr(Preview, "wait", lambda self, timeout=None: (_ for _ in ()).throw(KeyboardInterrupt))
    port = free_port()
    args = ["serve", "zuid-holland", "--no-browser", "--port", str(port), "--project", str(scratch_project)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert f"http://127.0.0.1:{port}/" in result.stdout


def test_serve_command_unknown_name(scratch_project):
    result = CliRunner().invoke(cli, ["serve", "nope", "--no-browser", "--project", str(scratch_project)])
    assert result.exit_code == 1
    assert "no publication 'nope'" in result.stderr
    assert "Traceback" not in result.output


def test_serve_command_help():
    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0
    assert "--port" in result.output and "--no-browser" in result.output and "127.0.0.1" in result.output


def test_the_pdf_is_laid_out_per_story_and_is_what_a_build_writes(scratch_project, tmp_path):
    """With its PDF, an edit lays out one story again; build/ gets what `katern build` writes, manifest too."""
    from katern.build import UP_TO_DATE
    from katern.manifest import Manifest
    from katern.project import load_project

    preview = Preview(scratch_project, ["van-nul-tot-later"], port=0, watch=False)
    preview.start(initial_build=False)
    try:
        first = preview.rebuild()
        assert first.ok and first.rebuilt == ["van-nul-tot-later"], first.results[0].error
        layout = preview.layouts["van-nul-tot-later"]
        assert layout.layouts > 1  # in parts
        edit(preview.root, "Het verhaal uit Zwolle", "Het prachtige verhaal uit Zwolle")
        before = layout.layouts
        step = preview.rebuild([preview.root / RECORD])
        assert step.ok and step.rebuilt == ["van-nul-tot-later"]
        assert layout.layouts - before == 1 and layout.reused  # only the story that changed
        now = status(preview)["publications"]["van-nul-tot-later"]
        assert now["versions"] == dict.fromkeys(("html", "pdf", "accessibility"), step.number)
        assert now["phase"] is None
        assert "PDF: written" in get(preview, "/p/van-nul-tot-later")[2].decode("utf-8")
    finally:
        preview.stop()
    project = load_project(scratch_project)
    written = {p.name: p.read_bytes() for p in preview.out_dir.glob("van-nul-tot-later*")}
    assert set(written) >= {"van-nul-tot-later.pdf", "van-nul-tot-later.html", "van-nul-tot-later.accessibility.json"}
    # The manifest is truthful: a build finds every output up to date ...
    again = build(project, ["van-nul-tot-later"], out_dir=preview.out_dir)
    assert again[0].ok and {o.status for o in again[0].outputs} == {UP_TO_DATE}
    # ... and a build from scratch writes the very same files.
    fresh = build(project, ["van-nul-tot-later"], out_dir=tmp_path / "fresh")
    assert fresh[0].ok
    for name, data in written.items():
        assert (tmp_path / "fresh" / name).read_bytes() == data, name
    # ... with the same inputs (the parts kept from before the edit still name the fonts and images they read)
    served, built = Manifest.load(preview.out_dir).entries, Manifest.load(tmp_path / "fresh").entries
    for name in ("van-nul-tot-later.pdf", "van-nul-tot-later.html"):
        assert served[name].inputs == built[name].inputs, name


def test_a_failing_per_story_layout_falls_back_to_the_whole_layout(scratch_project, serve_log, monkeypatch):
    from katern import storylayout

    def broken(self, *args, **kwargs):
        raise RuntimeError("simulated")

    monkeypatch.setattr(storylayout.StoryLayout, "render", broken)
    preview = Preview(scratch_project, ["van-nul-tot-later"], port=0, watch=False)
    preview.start(initial_build=False)
    try:
        step = preview.rebuild()
        assert step.ok and step.rebuilt == ["van-nul-tot-later"]
        assert (preview.out_dir / "van-nul-tot-later.pdf").is_file()
        assert any("per-story layout failed (RuntimeError: simulated); laying it out whole" in x for x in serve_log)
    finally:
        preview.stop()


def test_the_html_booklet_is_shown_before_the_pdf_is_laid_out_and_checked(scratch_project, monkeypatch):
    """During the PDF's layout the HTML of this rebuild is written and announced; the page says the PDF's phase."""
    from katern import storylayout

    seen: list[dict] = []
    original = storylayout.StoryLayout.render

    def watched(self, *args, **kwargs):
        seen.append({**preview.status(), "files": sorted(p.name for p in preview.out_dir.glob("van-nul-*"))})
        return original(self, *args, **kwargs)

    monkeypatch.setattr(storylayout.StoryLayout, "render", watched)
    preview = Preview(scratch_project, ["van-nul-tot-later"], port=0, watch=False)
    preview.start(initial_build=False)
    try:
        step = preview.rebuild()
        assert step.ok
        during = seen[0]
        assert during["building"] is True
        pub = during["publications"]["van-nul-tot-later"]
        assert pub["versions"].get("html") == step.number and "pdf" not in pub["versions"]
        assert pub["phase"] == "laying out"
        assert during["files"] == ["van-nul-tot-later.html"]  # the PDF only once it passed the checks
    finally:
        preview.stop()


def test_the_pdf_is_shown_as_soon_as_it_is_laid_out_while_it_is_checked(scratch_project, monkeypatch):
    """Between layout and the validators the new PDF is at /draft/NAME.pdf, not in build/; then it is written."""
    import katern.build

    seen: list[dict] = []
    original = katern.build.verify_pdf

    def checking(data, name=None):
        if str(name).endswith("van-nul-tot-later.pdf"):
            status, kind, body = get(preview, "/draft/van-nul-tot-later.pdf")
            files = sorted(p.name for p in preview.out_dir.glob("van-nul-tot-later*.pdf"))
            seen.append({"status": preview.status(), "draft": (status, kind, body[:5]), "files": files})
        return original(data, name=name)

    monkeypatch.setattr(katern.build, "verify_pdf", checking)
    preview = Preview(scratch_project, ["van-nul-tot-later"], port=0, watch=False)
    preview.start(initial_build=False)
    try:
        step = preview.rebuild()
        assert step.ok
        during = seen[0]
        pub = during["status"]["publications"]["van-nul-tot-later"]
        assert pub["phase"] == "checking" and pub["draft"].startswith("/draft/van-nul-tot-later.pdf?r=")
        assert during["draft"] == (200, "application/pdf", b"%PDF-")
        assert during["files"] == []  # not in build/ before it passed
        after = preview.status()["publications"]["van-nul-tot-later"]
        assert after["draft"] is None and after["versions"]["pdf"] == step.number
        assert get(preview, "/draft/van-nul-tot-later.pdf")[0] == 404  # gone once written
        assert get(preview, "/draft/..%2Fetc%2Fpasswd.pdf")[0] == 404
    finally:
        preview.stop()
