"""Parallel builds (`--jobs N`) and shards (`--shard K/N`): the same bytes as a serial build, each publication once.

A scratch project with three publications is built serially and in worker processes; the outputs
must be byte-identical, and the manifests must say the same about every output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from katern import resources, workers
from katern.build import build, default_jobs, parse_shard, shard_of
from katern.cli import cli
from katern.errors import BuildError
from katern.manifest import CACHE_NAME, MANIFEST_NAME
from katern.project import load_project

NOORD_BRABANT = """\
title: Integraal werken
edition: Noord-Brabant
date: 2018-10-01
layout: newsletter
query:
  province: Noord-Brabant
"""

NAMES = ["noord-brabant", "van-nul-tot-later", "zuid-holland"]


@pytest.fixture
def three(scratch_project: Path) -> Path:
    """The scratch project with a third publication."""
    (scratch_project / "content" / "publications" / "noord-brabant.yaml").write_text(NOORD_BRABANT, encoding="utf-8")
    return scratch_project


def outputs(folder: Path) -> dict[str, bytes]:
    """Every file katern wrote in `folder`, except its manifest and cache."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file() and p.name != MANIFEST_NAME}


def manifest_entries(folder: Path) -> dict:
    entries = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))["outputs"]
    for entry in entries.values():
        entry.pop("seconds")
    return entries


def run(root: Path, *args: str):
    return CliRunner().invoke(cli, ["--project", str(root), "build", *args])


# Both builds in one fresh process, one right after the other: forked workers (a fresh process has one
# thread), then the same publications in this process.
BOTH = """
import json, sys
from pathlib import Path
from katern import workers
from katern.build import build
from katern.project import load_project

root, out = Path(sys.argv[1]), Path(sys.argv[2])
method = workers.start_method()
parallel = build(load_project(root), None, ("pdf", "html"), out / "parallel", jobs=2)
serial = build(load_project(root), None, ("pdf", "html"), out / "serial", jobs=1)
again = build(load_project(root), None, ("pdf", "html"), out / "parallel", jobs=2)
print(json.dumps({
    "again": [[r.name for r in again], [r.status for r in again], again.jobs],
    "method": method,
    "jobs": [parallel.jobs, serial.jobs],
    "errors": [r.error for r in [*parallel, *serial] if not r.ok],
    "names": [[r.name for r in parallel], [r.name for r in serial]],
    "same": [
        [(r.warnings, r.notes, sorted(map(str, r.inputs)), [(o.kind, o.path.name, o.size, o.pages) for o in r.outputs])
         for r in results]
        for results in (parallel, serial)
    ],
}))
"""


def test_parallel_and_serial_builds_are_byte_identical(three, tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", BOTH, str(three), str(tmp_path)], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    facts = json.loads(done.stdout.strip().splitlines()[-1])
    assert facts["method"] == "fork" and facts["jobs"] == [2, 1] and facts["errors"] == []
    assert facts["names"] == [NAMES, NAMES]  # the results keep the order asked, not the order they finished in
    assert facts["same"][0] == facts["same"][1]  # warnings, notes, inputs, files, sizes and pages
    a, b = outputs(tmp_path / "serial"), outputs(tmp_path / "parallel")
    assert sorted(a) == sorted(b) and len(a) == 3 * 4  # pdf, two reports, html
    for name in a:
        assert a[name] == b[name], f"{name} differs between --jobs 1 and --jobs 2"
    assert manifest_entries(tmp_path / "serial") == manifest_entries(tmp_path / "parallel")
    assert facts["again"] == [NAMES, ["up to date"] * 3, 1]  # nothing to do: no worker is started


def test_workers_make_the_font_subsets_once_into_the_cache(three, tmp_path, monkeypatch):
    calls = []
    real = resources.subset_font
    monkeypatch.setattr(resources, "subset_font", lambda data: calls.append(os.getpid()) or real(data))
    monkeypatch.setattr(resources, "_subsets", {})
    results = build(load_project(three), None, ("html",), tmp_path / "out", jobs=2)
    assert all(r.ok for r in results), {r.name: r.error for r in results}
    assert calls == []  # not in this process: in the workers
    cached = sorted((tmp_path / "out" / CACHE_NAME / "fonts").glob("*.woff2"))
    assert len(cached) == len(resources.booklet_font_files())
    with resources.font_cache(tmp_path / "out" / CACHE_NAME / "fonts"):
        assert all(resources.cached_subset(p.stem) for p in cached)
    serial = build(load_project(three), None, ("html",), tmp_path / "serial", jobs=1)
    assert all(r.ok for r in serial)
    assert outputs(tmp_path / "out") == outputs(tmp_path / "serial")


def test_a_publication_that_fails_in_a_worker_does_not_stop_the_others(three, tmp_path):
    layouts = three / "layouts"
    layouts.mkdir()
    (layouts / "booklet.html").write_text(
        '{% extends "base.html" %}\n{% block body %}{% include "partials/nope.html" %}{% endblock %}\n',
        encoding="utf-8",
    )
    (three / "content" / "publications" / "van-nul-tot-later.yaml").unlink()
    results = {r.name: r for r in build(load_project(three), None, ("html",), tmp_path / "out", jobs=2)}
    assert set(results) == {"noord-brabant", "zuid-holland"}
    assert all(not r.ok and "partials/nope.html" in r.error for r in results.values())
    (layouts / "booklet.html").unlink()
    results = build(load_project(three), None, ("html",), tmp_path / "out", jobs=2)
    assert all(r.ok for r in results), {r.name: r.error for r in results}


def test_spawned_workers_receive_the_project_and_build_the_same(three, tmp_path, monkeypatch):
    serial = build(load_project(three), None, ("html",), tmp_path / "serial", jobs=1)
    assert all(r.ok for r in serial)
    monkeypatch.setattr(workers, "start_method", lambda: "spawn")
    spawned = build(load_project(three), None, ("html",), tmp_path / "spawned", jobs=2)
    assert all(r.ok for r in spawned), {r.name: r.error for r in spawned}
    assert spawned.jobs == 2
    assert outputs(tmp_path / "serial") == outputs(tmp_path / "spawned")


def test_jobs_default_to_the_cores_and_at_most_one_per_publication(three, tmp_path):
    results = build(load_project(three), None, ("html",), tmp_path / "out", jobs=None)
    assert all(r.ok for r in results)
    assert results.jobs == min(default_jobs(), 3)
    path = three / "content" / "publications" / "zuid-holland.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("Integraal werken", "Samen werken"), encoding="utf-8")
    again = build(load_project(three), None, ("html",), tmp_path / "out", jobs=8)
    assert again.jobs == 1 and [r.name for r in again if r.status == "built"] == ["zuid-holland"]


def test_cli_builds_with_jobs_and_says_so(three, tmp_path):
    result = run(three, "--format", "html", "--out", str(tmp_path / "out"), "--jobs", "2", "-v")
    assert result.exit_code == 0, result.output
    assert "producing 3 publication(s) in 2 worker processes (start method" in result.output
    assert "3 publication(s): 3 built, 0 up to date, 0 failed in" in result.output
    assert "with 2 worker processes" in result.output
    for name in NAMES:
        assert f"{name}: {tmp_path / 'out' / name}.html (" in result.output
    bad = run(three, "--jobs", "0")
    assert bad.exit_code == 2 and "--jobs" in bad.output


# --- shards ---------------------------------------------------------------------------------------------------


def test_two_shards_build_everything_once(three, tmp_path):
    out = tmp_path / "out"
    built = {}
    for share in ("1/2", "2/2"):
        result = run(three, "--format", "html", "--out", str(out), "--shard", share)
        assert result.exit_code == 0, result.output
        built[share] = {name for name in NAMES if f"{name}: {out / name}.html (" in result.output}
        assert f"shard {share}: {len(built[share])} of 3 publication(s)" in result.output
    assert built["1/2"] and built["2/2"] and not built["1/2"] & built["2/2"]
    assert built["1/2"] | built["2/2"] == set(NAMES)
    assert built["1/2"] == {"noord-brabant", "zuid-holland"}  # by sorted name: 1st and 3rd to share 1
    assert set(manifest_entries(out)) == {f"{n}.html" for n in NAMES}  # the second share kept the first's
    again = run(three, "--format", "html", "--out", str(out), "--shard", "1/2")
    assert "0 built, 2 up to date" in again.output


def test_a_shard_with_nothing_to_do_says_so(three, tmp_path):
    result = run(three, "--format", "html", "--out", str(tmp_path / "out"), "--shard", "4/4")
    assert result.exit_code == 0, result.output
    assert "shard 4/4: 0 of 3 publication(s) (there are fewer than 4 to share out; nothing to do)" in result.output


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("0/2", "K must be between 1 and 2"),
        ("3/2", "K must be between 1 and 2"),
        ("1/0", "N, the number of shares, must be 1 or more"),
        ("2", "--shard takes K/N"),
        ("a/b", "--shard takes K/N"),
        ("1/2/3", "--shard takes K/N"),
        ("-1/2", "--shard takes K/N"),
    ],
)
def test_bad_shard_values_are_usage_errors(three, tmp_path, value, says):
    result = run(three, "--out", str(tmp_path / "out"), "--shard", value)
    assert result.exit_code == 2, result.output
    assert says in result.output and "Invalid value for '--shard'" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()  # refused before anything was built
    with pytest.raises(BuildError, match="shard"):
        parse_shard(value)


def test_shares_are_stable_and_balanced():
    names = [f"editie-{i:02d}" for i in range(10)]
    shares = [shard_of(reversed(names), k, 3) for k in (1, 2, 3)]
    assert sorted(n for share in shares for n in share) == names
    assert [len(s) for s in shares] == [4, 3, 3]
    assert shares[0] == ["editie-00", "editie-03", "editie-06", "editie-09"]
    assert parse_shard(" 2 / 3 ") == (2, 3)
