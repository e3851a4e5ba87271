"""Content is untrusted: records, seeds, layouts and styles that try to read outside the project, reach the
network or run code are refused, with the file and field named, and nothing from outside reaches an output.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from conftest import record_front, snapshot, write_record
from katern.build import build
from katern.cli import cli
from katern.markup import external_loads, to_html
from katern.project import load_project
from katern.render import render_html

SECRET = "geheim-4711-buiten-het-project"


def run(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--project", str(root), *args])


def no_traceback(result: Result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A file beside the project (not in it) with a recognisable secret."""
    path = tmp_path.parent / f"{tmp_path.name}-outside.txt"
    path.write_text(f"root:x:0:0:{SECRET}\n", encoding="utf-8")
    yield path
    path.unlink(missing_ok=True)


@pytest.fixture
def no_network(monkeypatch):
    calls: list[str] = []

    def refuse(*args, **kwargs):
        calls.append(repr(args[:2]))
        raise OSError("network access attempted in a test")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    return calls


def outputs_text(folder: Path) -> str:
    """Everything katern wrote into `folder`, as text (binary decoded loosely)."""
    return "".join(p.read_bytes().decode("latin-1") for p in folder.rglob("*") if p.is_file())


def relative_to_record(root: Path, target: Path) -> str:
    return os.path.relpath(target, root / "content" / "records")


# --- images in the body, whatever their form ------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        '<img src="{ref}" alt="x">',
        "Tekst ![x][p] en meer.\n\n[p]: {ref}",
        "![x]({ref})",
        '<p><img alt="x" src="{ref}"></p>',
    ],
    ids=["raw-html", "reference-style", "inline", "raw-in-paragraph"],
)
def test_body_image_outside_the_project_is_an_error(scratch_project, outside, body, tmp_path):
    ref = relative_to_record(scratch_project, outside)
    path = write_record(
        scratch_project,
        "leiden-vliegende-brigade",
        record_front("leiden-vliegende-brigade"),
        "Eerst.\n\n" + body.format(ref=ref),
    )
    before = snapshot(scratch_project)
    result = run(scratch_project, "check")
    no_traceback(result)
    assert result.exit_code == 1
    assert f"{path}:" in result.output and "field 'body'" in result.output
    assert "lies outside the project" in result.output
    # The line is the body line that holds the reference.
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if ref in text)
    assert f"{path}:{line}: field 'body'" in result.output
    (res,) = build(load_project(scratch_project), ["zuid-holland"], ("html",), tmp_path / "out")
    assert not res.ok and str(path) in res.error
    assert not (tmp_path / "out").exists() or SECRET not in outputs_text(tmp_path / "out")
    assert snapshot(scratch_project) == before


def test_rendered_html_never_embeds_an_outside_file_even_unchecked(scratch_project, outside):
    """Render without `check` in front: the sanitiser and resolver still keep the file out."""
    ref = relative_to_record(scratch_project, outside)
    write_record(
        scratch_project, "leiden-vliegende-brigade", record_front("leiden-vliegende-brigade"), f"![x][p]\n\n[p]: {ref}"
    )
    project = load_project(scratch_project)
    with pytest.raises(Exception) as caught:
        render_html(project, project.publications["zuid-holland"], "screen")
    assert "outside the project" in str(caught.value)


# --- raw HTML that loads or runs something ----------------------------------------------------------------------

DANGEROUS = {
    "script": "<script>alert(1)</script>",
    "iframe": '<iframe src="https://example.org/"></iframe>',
    "stylesheet": '<link rel="stylesheet" href="http://example.org/x.css">',
    "remote-image": '<img src="http://example.org/x.png" alt="x">',
    "file-image": '<img src="file:///etc/passwd" alt="x">',
    "javascript-link": "[klik](javascript:alert(1))",
    "event-handler": '<a href="https://example.org" onclick="alert(1)">a</a>',
    "object": '<object data="x.swf"></object>',
    "style": "<style>body { background: url(http://example.org/t.png) }</style>",
}
EXPECTED = {
    "script": "<script>",
    "iframe": "<iframe>",
    "stylesheet": "<link>",
    "remote-image": "network address",
    "file-image": "is a URL",
    "javascript-link": "javascript:alert(1)",
    "event-handler": "'onclick'",
    "object": "<object>",
    "style": "<style>",
}


@pytest.mark.parametrize("kind", sorted(DANGEROUS))
def test_check_reports_html_that_loads_or_runs_something(scratch_project, kind):
    path = write_record(
        scratch_project,
        "leiden-vliegende-brigade",
        record_front("leiden-vliegende-brigade"),
        f"Tekst.\n\n{DANGEROUS[kind]}\n",
    )
    result = run(scratch_project, "check")
    no_traceback(result)
    assert result.exit_code == 1, result.output
    assert str(path) in result.output and "field 'body'" in result.output
    assert EXPECTED[kind] in result.output


@pytest.mark.parametrize("kind", sorted(DANGEROUS))
def test_sanitiser_lets_nothing_through(kind):
    html = to_html(f"Tekst.\n\n{DANGEROUS[kind]}\n")
    lowered = html.lower()
    for bad in (
        "<script",
        "<iframe",
        "<link",
        "<object",
        "<style",
        "javascript:",
        "onclick",
        "http://example",
        "file:",
    ):
        assert bad not in lowered, (kind, html)
    assert not external_loads(html)


def test_sanitiser_keeps_what_layouts_support():
    html = to_html(
        "## Kop\n\nTekst met **vet**, *cursief* en [een link](https://example.org).\n\n"
        "- een\n- twee\n\n> citaat\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n\n![Een beeld](images/a.png)\n"
    )
    for good in ("<h2>", "<strong>", "<em>", 'href="https://example.org"', "<ul>", "<blockquote>", "<table>",
                 'style="text-align:left"', 'src="images/a.png"', 'alt="Een beeld"'):  # fmt: skip
        assert good in html, (good, html)


def test_contact_tips_and_boxes_are_checked_too(scratch_project):
    front = record_front(
        "leiden-vliegende-brigade",
        contact="Bel <script>x</script>",
        tips=["[a](javascript:void(0))"],
        boxes=[{"title": "Box", "body": '<iframe src="x"></iframe>'}],
    )
    path = write_record(scratch_project, "leiden-vliegende-brigade", front)
    result = run(scratch_project, "check")
    assert result.exit_code == 1
    for field in ("contact", "tips[1]", "boxes[1].body"):
        assert f"{path}: field '{field}'" in result.output, field


# --- layouts run sandboxed; templates, styles and records stay inside ------------------------------------------


def test_layout_override_cannot_run_code(scratch_project, tmp_path):
    marker = tmp_path / "ran"
    (scratch_project / "layouts").mkdir()
    base = scratch_project / "layouts" / "base.html"
    base.write_text(
        f"<html><body>{{{{ lipsum.__globals__.os.popen('id > {marker}').read() }}}}"
        "{% block body %}{% endblock %}</body></html>\n",
        encoding="utf-8",
    )
    result = run(scratch_project, "build", "zuid-holland", "--format", "html", "--out", str(tmp_path / "out"))
    no_traceback(result)
    assert result.exit_code == 1
    assert f"layout {base} (line 1) tried something layouts may not do" in result.output
    assert "uid=" not in result.output
    assert not marker.exists()
    assert not (tmp_path / "out" / "zuid-holland.html").exists()


def test_layout_override_cannot_reach_python_through_objects(scratch_project, tmp_path):
    (scratch_project / "layouts").mkdir()
    (scratch_project / "layouts" / "base.html").write_text(
        "{{ pub.__class__.__init__.__globals__ }}{% block body %}{% endblock %}", encoding="utf-8"
    )
    (res,) = build(load_project(scratch_project), ["zuid-holland"], ("html",), tmp_path / "out")
    assert not res.ok and "layouts may not" in res.error


def test_record_that_links_outside_the_project_is_refused(scratch_project, outside, tmp_path):
    link = scratch_project / "content" / "records" / "zuid-lek.md"
    outside.write_text(
        f"---\ntitle: {SECRET}\nkind: in-het-kort\nplace: Leiden\nmunicipalities: [Leiden]\ndate: 2018-01-01\n"
        "sources:\n  - title: x\n---\n\nTekst.\n",
        encoding="utf-8",
    )
    link.symlink_to(outside)
    result = run(scratch_project, "check")
    no_traceback(result)
    assert result.exit_code == 1
    assert f"{link}: error: is a link to {outside.resolve()}, which lies outside the project" in result.output
    assert SECRET not in result.output
    (res,) = build(load_project(scratch_project), ["zuid-holland"], ("html",), tmp_path / "out")
    assert not res.ok and str(link) in res.error
    assert not (tmp_path / "out").exists() or SECRET not in outputs_text(tmp_path / "out")


def test_layout_that_links_outside_is_refused(scratch_project, outside, tmp_path):
    (scratch_project / "layouts" / "partials").mkdir(parents=True)
    link = scratch_project / "layouts" / "partials" / "sender.html"
    link.symlink_to(outside)
    (res,) = build(load_project(scratch_project), ["van-nul-tot-later"], ("html",), tmp_path / "out")
    assert not res.ok
    assert "partials/sender.html" in res.error and "outside" in res.error
    assert SECRET not in res.error


def test_style_that_links_outside_is_refused(scratch_project, outside, tmp_path):
    (scratch_project / "styles" / "vws").mkdir(parents=True)
    (scratch_project / "styles" / "vws" / "theme.css").symlink_to(outside)
    (res,) = build(load_project(scratch_project), ["zuid-holland"], ("html",), tmp_path / "out")
    assert not res.ok and "vws/theme.css" in res.error and "outside" in res.error


@pytest.mark.parametrize(
    ("css", "expected"),
    [
        ("body { background: url(http://example.org/a.png); }", "network address"),
        ("body { background: url('../../../../etc/passwd'); }", "lies outside the project"),
        ("@import 'http://example.org/x.css';", "@import is not supported"),
    ],
)
def test_style_urls_are_confined(scratch_project, tmp_path, css, expected, no_network):
    from katern.resources import builtin_dir

    (scratch_project / "styles" / "vws").mkdir(parents=True)
    theme = (builtin_dir("styles") / "vws" / "theme.css").read_text(encoding="utf-8")
    (scratch_project / "styles" / "vws" / "theme.css").write_text(theme + "\n" + css, encoding="utf-8")
    for fmt in ("html", "pdf"):
        (res,) = build(load_project(scratch_project), ["zuid-holland"], (fmt,), tmp_path / fmt)
        assert not res.ok, fmt
        assert expected in res.error and "theme.css" in res.error, res.error
    assert no_network == []


def test_style_url_inside_the_project_is_embedded_in_the_booklet(scratch_project, tmp_path):
    from conftest import REPO

    (scratch_project / "styles" / "vws" / "img").mkdir(parents=True)
    (scratch_project / "styles" / "vws" / "img" / "dot.png").write_bytes(
        (REPO / "docs" / "images" / "cover.png").read_bytes()
    )
    theme = (REPO / "styles" / "vws" / "theme.css").read_text(encoding="utf-8")
    (scratch_project / "styles" / "vws" / "theme.css").write_text(
        theme + "\n.sender { background: url(img/dot.png) no-repeat; }", encoding="utf-8"
    )
    (res,) = build(load_project(scratch_project), ["zuid-holland"], ("html",), tmp_path / "out")
    assert res.ok, res.error
    page = (tmp_path / "out" / "zuid-holland.html").read_text(encoding="utf-8")
    assert "url('data:image/png;base64," in page
    assert not external_loads(page)


@pytest.mark.parametrize("seed", ["../../../../etc/passwd", "/etc/passwd", "https://example.org/seed.txt", ".."])
def test_seed_must_be_a_file_in_seeds(scratch_project, seed):
    front = record_front("leiden-vliegende-brigade", sources=[{"title": "x", "seed": seed}])
    path = write_record(scratch_project, "leiden-vliegende-brigade", front)
    result = run(scratch_project, "check")
    assert result.exit_code == 1
    assert f"{path}: field 'sources[1].seed'" in result.output
    assert "must be the name of a file in seeds/" in result.output


def test_seed_that_links_outside_seeds_is_refused(scratch_project, outside):
    (scratch_project / "seeds" / "lek.txt").symlink_to(outside)
    front = record_front("leiden-vliegende-brigade", sources=[{"title": "x", "seed": "lek.txt"}])
    write_record(scratch_project, "leiden-vliegende-brigade", front)
    result = run(scratch_project, "check")
    assert result.exit_code == 1
    assert "field 'sources[1].seed'" in result.output and "outside" in result.output


def test_html_booklet_of_a_record_with_links_makes_no_request(scratch_project, tmp_path, no_network):
    write_record(
        scratch_project,
        "leiden-vliegende-brigade",
        record_front("leiden-vliegende-brigade"),
        "Zie [de site](https://example.org/pagina) en mail [ons](mailto:a@example.org).",
    )
    (res,) = build(load_project(scratch_project), ["zuid-holland"], ("html",), tmp_path / "out")
    assert res.ok, res.error
    page = (tmp_path / "out" / "zuid-holland.html").read_text(encoding="utf-8")
    assert 'href="https://example.org/pagina"' in page
    assert external_loads(page) == []
    assert no_network == []


def test_booklet_rendered_without_check_holds_nothing_dangerous(scratch_project):
    """Even when `check` is bypassed (library use), the renderer cleans every record text."""
    body = "Tekst.\n\n" + "\n\n".join(
        v for k, v in sorted(DANGEROUS.items()) if k not in {"remote-image", "file-image"}
    )
    front = record_front("leiden-vliegende-brigade", contact="Bel <script>x</script>", tips=["<iframe src=x></iframe>"])
    write_record(scratch_project, "leiden-vliegende-brigade", front, body)
    project = load_project(scratch_project)
    page = render_html(project, project.publications["zuid-holland"], "screen")
    assert external_loads(page) == []
    story = page[page.index('id="leiden-vliegende-brigade"') :]
    for bad in ("<script", "<iframe", "<object", "javascript:", "onclick", "example.org/x.css"):
        assert bad not in story, bad
