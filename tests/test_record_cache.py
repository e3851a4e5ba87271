"""The cache of parsed records (katern.recordcache): a second `katern check` reads what the first parsed.

Every test runs with its own cache folder (XDG_CACHE_HOME), outside the project. What is proved is that
the cache is used (the parse function is not called), and that it never changes what `check` says:
the output is compared with a run without any cache, for valid and for broken records, and after the
cache file was damaged or tampered with.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import RECORDS, REPO, record_front, snapshot, write_record
from katern import recordcache, records
from katern.cli import cli
from katern.project import load_project

ZWOLLE = "zwolle-think-op-school"
OSS = "oss-maatwerkfabriek"


@pytest.fixture(autouse=True)
def cache_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Give every test a cache folder of its own, outside the project."""
    home = tmp_path_factory.mktemp("cache-home")
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Count the records parsed (records.parse_record) and Markdown texts inspected: their names, in order."""
    seen: list[str] = []
    parse, inspect = records.parse_record, recordcache.inspect_markdown

    def counting_parse(path, *args, **kwargs):
        seen.append(path.stem)
        return parse(path, *args, **kwargs)

    def counting_inspect(text):
        seen.append("markdown")
        return inspect(text)

    monkeypatch.setattr(records, "parse_record", counting_parse)
    monkeypatch.setattr(recordcache, "inspect_markdown", counting_inspect)
    return seen


def check(root: Path, *args: str) -> tuple[int, str, str]:
    """Run `katern check` in-process; return (exit code, stdout, stderr)."""
    result = CliRunner().invoke(cli, ["--project", str(root), "check", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


def uncached(root: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str, str]:
    """Run `katern check` with no cache at all (what katern said before there was one)."""
    with monkeypatch.context() as m:
        m.setattr(recordcache, "cache_folder", lambda: None)
        return check(root, *args)


def cache_path(root: Path) -> Path:
    path = recordcache.cache_file(Path(root).resolve())
    assert path is not None
    return path


def read_cache(root: Path) -> dict:
    return json.loads(cache_path(root).read_text(encoding="utf-8"))


def write_cache(root: Path, data: dict) -> None:
    cache_path(root).write_text(json.dumps(data), encoding="utf-8")


def key(slug: str) -> str:
    """Return the cache's key of a record: its path in the project."""
    return f"content/records/{slug}.md"


# Records with errors and warnings of every kind parsing reports.
BROKEN = {
    "bad-date": (record_front(ZWOLLE, date="8 oktober 2018"), "Tekst."),
    "malformed-yaml": ("title: 'niet gesloten\nkind: praktijkverhaal\n", "Tekst."),
    "unknown-field": (record_front(ZWOLLE, colour="rood", draft=True), "Tekst."),
    "no-front-matter": (None, "Alleen tekst, geen velden."),
    # YAML can write half a UTF-16 pair ("\ud83d"): a text Python cannot encode as UTF-8.
    "half-surrogate": ('title: "Half \\ud83d teken"\nkind: praktijkverhaal\ndate: 2017-09-01\nplace: Zwolle\n', "T."),
    "bad-editions": (record_front(ZWOLLE, editions={"bestaat-niet": {"title": "Ander"}, "zuid-holland": 3}), "T."),
    "bad-markdown": (record_front(ZWOLLE), 'Tekst <script>alert(1)</script> en <a href="javascript:x">link</a>.'),
    "too-deep": (record_front(ZWOLLE), "Eerst.\n\n" + ">" * 25 + " te diep"),  # markup.MarkupError
    "long-word": (record_front(ZWOLLE), "Een " + "heel" * 20 + " lang woord, en ![](kwijt.png) zonder alt."),
    "bad-parts": (
        record_front(
            ZWOLLE,
            links=[{"label": "Site", "url": "www.example.org"}],
            images=[{"src": "x.png"}],
            boxes=[{"title": "Kader"}],
            reaction={"quote": "Mooi"},
            sources=[{"title": "Bron", "page": "vier"}],
        ),
        "Tekst.",
    ),
}


def write_broken(root: Path, name: str) -> Path:
    front, body = BROKEN[name]
    if front is None:
        path = root / "content" / "records" / f"{ZWOLLE}.md"
        path.write_text(body + "\n", encoding="utf-8")
        return path
    return write_record(root, ZWOLLE, front, body)


# --- the cache is used ------------------------------------------------------------------------------------


def test_second_check_reads_every_record_from_the_cache(scratch_project, parses, cache_home):
    first = check(scratch_project)
    assert sorted(p for p in parses if p != "markdown") == sorted(RECORDS)
    assert "markdown" in parses
    assert cache_path(scratch_project).is_file()
    assert cache_path(scratch_project).is_relative_to(cache_home)
    parses.clear()
    second = check(scratch_project)
    assert parses == []  # no record parsed, no Markdown text converted
    assert second == first
    assert first[0] == 0 and "4 records, 3 factors, 2 publications: 0 error(s), 0 warning(s)" in first[1]


def test_check_changes_no_file_of_the_project(scratch_project):
    before = snapshot(scratch_project)
    check(scratch_project)
    check(scratch_project)
    assert snapshot(scratch_project) == before
    assert not (scratch_project / "build").exists()


def test_an_unchanged_run_does_not_write_the_cache_again(scratch_project):
    check(scratch_project)
    path = cache_path(scratch_project)
    stamp = path.stat().st_mtime_ns
    os.utime(path, ns=(stamp - 10**9, stamp - 10**9))
    check(scratch_project)
    assert path.stat().st_mtime_ns == stamp - 10**9


def test_edited_record_is_parsed_again_and_its_new_problems_show(scratch_project, parses, monkeypatch):
    check(scratch_project)
    path = write_record(scratch_project, ZWOLLE, record_front(ZWOLLE, date="8 oktober 2018"))
    parses.clear()
    code, out, err = check(scratch_project)
    assert [p for p in parses if p != "markdown"] == [ZWOLLE]  # only the edited record
    assert code == 1
    assert f"{path}:" in err and "field 'date'" in err and "YYYY-MM-DD" in err
    assert (code, out, err) == uncached(scratch_project, monkeypatch)
    # Fixed again: the error is gone, although the cache still knew the version without the error.
    write_record(scratch_project, ZWOLLE, record_front(ZWOLLE), body="## Zwolle\n\nHet verhaal uit Zwolle.")
    assert check(scratch_project)[0] == 0


def test_a_deleted_record_drops_out_of_the_cache(scratch_project):
    check(scratch_project)
    assert key(OSS) in read_cache(scratch_project)["records"]
    (scratch_project / "content" / "records" / f"{OSS}.md").unlink()
    check(scratch_project)
    assert key(OSS) not in read_cache(scratch_project)["records"]


# --- the same output, with or without the cache ------------------------------------------------------


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_check_says_the_same_with_and_without_the_cache(scratch_project, monkeypatch, parses, name):
    write_broken(scratch_project, name)
    without = uncached(scratch_project, monkeypatch)
    assert without[0] == 1 or "warning" in without[2]
    first = check(scratch_project)
    parses.clear()
    second = check(scratch_project)
    assert [p for p in parses if p != "markdown"] == []
    assert first == second == without
    assert check(scratch_project, "--strict") == uncached(scratch_project, monkeypatch, "--strict")


def test_a_result_that_would_not_come_back_exactly_is_not_kept(scratch_project, monkeypatch, parses):
    """A value of a type the cache does not write (here a datetime as the date) is parsed again every time."""
    parse = records.parse_record

    def with_datetime(path, *args, **kwargs):
        record = parse(path, *args, **kwargs)
        if record.slug == ZWOLLE:
            record.date = dt.datetime(2017, 9, 1, 12, 30)
        return record

    monkeypatch.setattr(records, "parse_record", with_datetime)
    first = load_project(scratch_project)
    parses.clear()
    again = load_project(scratch_project)
    assert parses == [ZWOLLE]  # parse_record is still the counting one underneath
    assert again.records == first.records
    assert type(again.records[ZWOLLE].date) is dt.datetime
    assert key(ZWOLLE) not in read_cache(scratch_project)["records"]
    assert key(OSS) in read_cache(scratch_project)["records"]


def test_the_shipped_project_loads_the_same_from_the_cache(parses):
    """The real records (with `editions`, boxes, reactions, links, images, sources) come back exactly."""
    fresh = load_project(REPO)
    parses.clear()
    again = load_project(REPO)
    assert [p for p in parses if p != "markdown"] == []
    assert again.records == fresh.records
    assert again.shadowed == fresh.shadowed
    assert again.problems == fresh.problems
    assert any(r.editions for r in again.records.values())  # the editions were kept and read back
    assert again.publications.keys() == fresh.publications.keys()
    for name, pub in fresh.publications.items():
        assert [r.slug for r in again.publications[name].records] == [r.slug for r in pub.records]


def test_records_from_the_cache_are_separate_objects(scratch_project):
    first = load_project(scratch_project)
    first.records[ZWOLLE].themes.append("gewijzigd")
    first.records[ZWOLLE].unreadable.add("title")
    again = load_project(scratch_project)
    assert again.records[ZWOLLE].themes == ["preventie", "jeugd"]
    assert again.records[ZWOLLE].unreadable == set()


def test_editions_are_checked_against_the_publication_files_of_this_run(scratch_project, monkeypatch):
    """A record's `editions` names publications: when one is deleted, the cached record is parsed again."""
    write_record(scratch_project, ZWOLLE, record_front(ZWOLLE, editions={"zuid-holland": {"title": "Ander"}}))
    assert check(scratch_project)[0] == 0
    (scratch_project / "content" / "publications" / "zuid-holland.yaml").unlink()
    result = check(scratch_project)
    assert result[0] == 1 and "unknown publication 'zuid-holland'" in result[2]
    assert result == uncached(scratch_project, monkeypatch)


# --- a damaged, tampered or foreign cache is ignored ----------------------------------------------------


def _tamper_garbage(root: Path, data: dict) -> None:
    cache_path(root).write_bytes(b"\x00\xff not json {{{")


def _tamper_not_a_mapping(root: Path, data: dict) -> None:
    write_cache(root, [data])  # type: ignore[arg-type]


def _tamper_truncated(root: Path, data: dict) -> None:
    text = json.dumps(data)
    cache_path(root).write_text(text[: len(text) // 2], encoding="utf-8")


def _tamper_format(root: Path, data: dict) -> None:
    write_cache(root, {**data, "format": 999})


def _tamper_environment(root: Path, data: dict) -> None:
    write_cache(root, {**data, "environment": "0" * 64})


def _tamper_types(root: Path, data: dict) -> None:
    for entry in data["records"].values():
        entry["record"]["title"] = 42
        entry["record"]["date"] = "geen datum"
        entry["record"]["boxes"] = {"not": "a list"}
        entry["problems"] = "none"
    data["markdown"] = {k: {"images": 1, "without_alt": None, "refused": [[1]]} for k in data["markdown"]}
    data["words"] = {k: [None] for k in data["words"]}
    write_cache(root, data)


def _tamper_entries(root: Path, data: dict) -> None:
    data["records"] = {k: [1, 2, 3] for k in data["records"]}
    data["markdown"] = {k: {"error": 5} for k in data["markdown"]}
    data["words"] = "none"
    write_cache(root, data)


def _tamper_problems(root: Path, data: dict) -> None:
    for entry in data["records"].values():
        entry["problems"] = [["a message", None, "line 3", "fatal"]]
        entry["record"]["unknown"] = "field"
    write_cache(root, data)


TAMPERING = {
    "garbage": _tamper_garbage,
    "not-a-mapping": _tamper_not_a_mapping,
    "truncated": _tamper_truncated,
    "other-format": _tamper_format,
    "other-code": _tamper_environment,
    "wrong-types": _tamper_types,
    "wrong-entries": _tamper_entries,
    "wrong-problems": _tamper_problems,
}


@pytest.mark.parametrize("how", sorted(TAMPERING))
def test_a_damaged_cache_is_ignored_and_made_again(scratch_project, monkeypatch, parses, how):
    write_broken(scratch_project, "bad-date")
    without = uncached(scratch_project, monkeypatch)
    check(scratch_project)
    TAMPERING[how](scratch_project, read_cache(scratch_project))
    parses.clear()
    assert check(scratch_project) == without
    assert len([p for p in parses if p != "markdown"]) == 4  # every record parsed again
    parses.clear()
    assert check(scratch_project) == without  # and the cache was written anew
    assert parses == []


def test_an_entry_of_another_record_never_makes_a_broken_record_look_valid(scratch_project, monkeypatch):
    """A crafted entry: the valid Oss record's entry (digest included), filed under the broken Zwolle record."""
    write_broken(scratch_project, "bad-date")
    without = uncached(scratch_project, monkeypatch)
    assert without[0] == 1
    check(scratch_project)
    data = read_cache(scratch_project)
    data["records"][key(ZWOLLE)] = data["records"][key(OSS)]
    write_cache(scratch_project, data)
    assert check(scratch_project) == without


def test_the_entry_of_an_earlier_valid_version_never_applies(scratch_project, monkeypatch):
    check(scratch_project)
    valid = read_cache(scratch_project)["records"][key(ZWOLLE)]
    write_broken(scratch_project, "bad-editions")
    without = uncached(scratch_project, monkeypatch)
    data = read_cache(scratch_project)
    data["records"][key(ZWOLLE)] = valid
    write_cache(scratch_project, data)
    assert check(scratch_project) == without
    assert without[0] == 1


def test_the_cache_of_another_project_is_ignored(scratch_project, tmp_path_factory, monkeypatch):
    """A cache file copied from another project (a valid one, with the same record files) is not used."""
    other = tmp_path_factory.mktemp("other")
    for part in ("content", "seeds"):
        (other / part).mkdir()
    shutil.copytree(scratch_project / "content", other / "content", dirs_exist_ok=True)
    shutil.copytree(scratch_project / "seeds", other / "seeds", dirs_exist_ok=True)
    assert check(other)[0] == 0
    write_broken(scratch_project, "bad-date")
    without = uncached(scratch_project, monkeypatch)
    cache_path(scratch_project).write_bytes(cache_path(other).read_bytes())
    assert check(scratch_project) == without


def test_a_cache_file_inside_the_project_is_never_read(scratch_project, monkeypatch, parses):
    """A project cannot ship a cache: katern reads it only from the user's cache folder."""
    write_broken(scratch_project, "bad-date")
    without = uncached(scratch_project, monkeypatch)
    check(scratch_project)
    crafted = read_cache(scratch_project)
    crafted["records"][key(ZWOLLE)]["problems"] = []
    shipped = scratch_project / "build" / ".katern-cache"
    for folder in (shipped, shipped / "records"):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / cache_path(scratch_project).name).write_text(json.dumps(crafted), encoding="utf-8")
    cache_path(scratch_project).unlink()
    parses.clear()
    assert check(scratch_project) == without
    assert ZWOLLE in parses


# --- the cache folder ----------------------------------------------------------------------------------


def test_deleting_the_cache_folder_is_safe(scratch_project, monkeypatch, cache_home, parses):
    write_broken(scratch_project, "bad-markdown")
    first = check(scratch_project)
    shutil.rmtree(cache_home / "katern")
    parses.clear()
    assert check(scratch_project) == first
    assert len([p for p in parses if p != "markdown"]) == 4
    assert first == uncached(scratch_project, monkeypatch)
    assert cache_path(scratch_project).is_file()


def test_an_unwritable_cache_folder_is_skipped(scratch_project, monkeypatch, tmp_path_factory):
    """The cache folder cannot be made (here a file is in the way): katern works as without a cache."""
    blocked = tmp_path_factory.mktemp("blocked") / "file"
    blocked.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    write_broken(scratch_project, "unknown-field")
    assert check(scratch_project) == check(scratch_project) == uncached(scratch_project, monkeypatch)
    assert blocked.read_text(encoding="utf-8") == "not a folder"


def test_a_read_only_project_is_checked_with_the_cache(scratch_project, monkeypatch, parses):
    write_broken(scratch_project, "bad-date")
    without = uncached(scratch_project, monkeypatch)
    modes = {}
    for path in [scratch_project, *scratch_project.rglob("*")]:
        modes[path] = path.stat().st_mode
        path.chmod(modes[path] & ~0o222)
    try:
        assert check(scratch_project) == without
        parses.clear()
        assert check(scratch_project) == without
        assert [p for p in parses if p != "markdown"] == []
    finally:
        for path, mode in modes.items():
            path.chmod(mode)


def test_old_cache_files_are_removed_when_a_cache_is_written(scratch_project, cache_home):
    folder = cache_home / "katern" / "records"
    folder.mkdir(parents=True)
    old, recent, other = folder / ("a" * 32 + ".json"), folder / ("b" * 32 + ".json"), folder / "notes.txt"
    for path in (old, recent, other):
        path.write_text("{}", encoding="utf-8")
    stale = time.time() - recordcache.MAX_AGE - 60
    os.utime(old, (stale, stale))
    os.utime(other, (stale, stale))
    check(scratch_project)
    assert not old.exists()
    assert recent.exists() and other.exists()
    assert cache_path(scratch_project).is_file()
