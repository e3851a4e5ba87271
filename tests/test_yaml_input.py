"""Hostile and surprising YAML: every bad input is one clear problem, never a crash or a flood of text."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from conftest import record_front, snapshot, write_record
from katern import schema
from katern.cli import cli
from katern.errors import Problem
from katern.schema import FieldReader, load_yaml

ZWOLLE = "zwolle-think-op-school"


def front(raw: str, *replaced: str) -> str:
    """Return front matter text starting with `raw` (file line 2 on), then the Zwolle record without `replaced`."""
    rest = record_front(ZWOLLE, **dict.fromkeys(replaced))
    return raw + yaml.safe_dump(rest, allow_unicode=True, sort_keys=False)


def check(root: Path, limit: int = 5_000) -> Result:
    """Run `katern check` on `root`: it must fail cleanly, leave every file alone and say little."""
    before = snapshot(root)
    result = CliRunner().invoke(cli, ["--project", str(root), "check"])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 1, result.output[:2_000]
    assert "Traceback" not in result.output
    assert len(result.output) < limit, result.output[:2_000]
    assert snapshot(root) == before
    return result


def check_record(root: Path, text: str, limit: int = 5_000) -> tuple[Path, str]:
    path = write_record(root, ZWOLLE, text)
    return path, check(root, limit).output


# --- 1. duplicate keys ----------------------------------------------------------------------------


def test_duplicate_top_level_key(scratch_project):
    path, out = check_record(
        scratch_project, front("title: Eerste titel\nkind: praktijkverhaal\ntitle: Tweede\n", "title", "kind")
    )
    assert f"{path}:4: field 'title': error: the field 'title' appears twice (also on line 2). Keep one." in out, out


def test_duplicate_nested_key_in_mapping_and_list(scratch_project):
    raw = "reaction:\n  quote: Mooi\n  name: Mirjam\n  name: Beelen\n"
    path, out = check_record(scratch_project, front(raw))
    assert f"{path}:5: field 'reaction.name': error: the field 'name' appears twice (also on line 4)." in out, out

    raw = "sources:\n  - title: Bron\n    page: 4\n    page: 5\n"
    path, out = check_record(scratch_project, front(raw, "sources"))
    assert f"{path}:5: field 'sources[1].page': error: the field 'page' appears twice (also on line 4)." in out, out


def test_duplicate_key_in_flow_mapping(scratch_project):
    path, out = check_record(scratch_project, front("reaction: {quote: a, name: b, quote: c}\n"))
    assert f"{path}:2: field 'reaction.quote': error: the field 'quote' appears twice" in out, out


def test_duplicate_key_in_publication(scratch_project):
    path = scratch_project / "content" / "publications" / "van-nul-tot-later.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "layout: handout\n", encoding="utf-8")
    out = check(scratch_project).output
    line = len(path.read_text(encoding="utf-8").splitlines())
    assert f"{path}:{line}: field 'layout': error: the field 'layout' appears twice (also on line 6)." in out, out


def test_duplicate_key_in_factors_yaml(scratch_project):
    path = scratch_project / "content" / "factors.yaml"
    path.write_text("- id: juiste-mensen\n  text: Een.\n  municipalities: all\n  text: Twee.\n", encoding="utf-8")
    out = check(scratch_project).output
    assert f"{path}:4: field '[1].text': error: the field 'text' appears twice (also on line 2)." in out, out


def test_duplicate_key_in_themes_yaml(scratch_project):
    path = scratch_project / "content" / "themes.yaml"
    path.write_text("jeugd: Jeugd\npreventie: Preventie\njeugd: Jongeren\n", encoding="utf-8")
    out = check(scratch_project).output
    assert f"{path}:3: field 'jeugd': error: the field 'jeugd' appears twice (also on line 1)." in out, out


def test_merge_key_override_is_not_a_duplicate():
    text = "base: &b {quote: a, name: b}\nreaction:\n  <<: *b\n  name: c\n"
    data, _lines, problem = load_yaml(text, Path("x.yaml"))
    assert problem is None
    assert data["reaction"] == {"quote": "a", "name": "c"}


# --- 2. numbers and dates where text belongs ------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("12:30", 'YAML reads 12:30 as the number 750, not as text. Put it in quotes: title: "12:30"'),
        ("2018", 'YAML reads 2018 as a number, not as text. Put it in quotes: title: "2018"'),
        ("1_000", 'YAML reads 1_000 as the number 1000, not as text. Put it in quotes: title: "1_000"'),
        ("3.50", 'YAML reads 3.50 as the number 3.5, not as text. Put it in quotes: title: "3.50"'),
        ("2018-10-08", 'YAML reads 2018-10-08 as a date, not as text. Put it in quotes: title: "2018-10-08"'),
    ],
)
def test_text_field_read_as_number_or_date(scratch_project, written, message):
    path, out = check_record(scratch_project, front(f"title: {written}\n", "title"))
    assert f"{path}:2: field 'title': error: {message}" in out, out


def test_text_list_item_read_as_number(scratch_project):
    path, out = check_record(scratch_project, front("tips: [Begin klein, 10:15]\n"))
    assert f"{path}:2: field 'tips[2]': error: YAML reads 10:15 as the number 615, not as text." in out, out


def test_nested_text_field_read_as_number(scratch_project):
    raw = "sources:\n  - title: 2017\n    page: 4\n"
    path, out = check_record(scratch_project, front(raw, "sources"))
    assert f"{path}:2: field 'sources[1].title': error: YAML reads 2017 as a number" in out, out
    assert 'Put it in quotes: title: "2017"' in out


def test_numbers_still_work_as_numbers():
    data, _lines, problem = load_yaml("page: 4\ntitle: '12:30'\nbig: 12:30\n", Path("x.yaml"))
    assert problem is None
    problems: list[Problem] = []
    r = FieldReader(data, Path("x.yaml"), {}, problems)
    page = r.integer("page")
    assert page == 4 and type(page) is int
    assert r.text("title") == "12:30"
    assert data["big"] == 750 and data["big"].source == "12:30"
    assert problems == []


# --- 3. impossible dates --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("2024-02-30", "February 2024 has 29 days"),
        ("2023-02-29", "February 2023 has 28 days"),
        ("2024-04-31", "April 2024 has 30 days"),
        ("2024-14-01", "the month must be 1-12"),
        ("2024-00-10", "the month must be 1-12"),
        ("2024-01-00", "January 2024 has 31 days"),
    ],
)
def test_impossible_date_in_record(scratch_project, written, reason):
    path, out = check_record(scratch_project, front(f"date: {written}\n", "date"))
    assert f"{path}:2: field 'date': error: '{written}' is not a real date ({reason}). Write it as YYYY-MM-DD" in out, (
        out
    )


def test_impossible_date_in_text_field_and_non_iso_date(scratch_project):
    path, out = check_record(scratch_project, front("place: 2024-02-30\ndate: 14-03-2024\n", "place", "date"))
    assert f"{path}:3: field 'date': error: '14-03-2024' is not a date. Write it as YYYY-MM-DD" in out, out


def test_impossible_date_in_publication(scratch_project):
    path = scratch_project / "content" / "publications" / "van-nul-tot-later.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("date: 2017-09-01", "date: 2017-09-31"), encoding="utf-8")
    out = check(scratch_project).output
    assert f"{path}:4: field 'date': error: '2017-09-31' is not a real date (September 2017 has 30 days)." in out, out


def test_real_dates_still_are_dates():
    data, _lines, problem = load_yaml("date: 2017-09-01\nat: 2017-09-01 10:30:00\n", Path("x.yaml"))
    assert problem is None
    assert type(data["date"]) is dt.date and data["date"] == dt.date(2017, 9, 1)
    problems: list[Problem] = []
    r = FieldReader(data, Path("x.yaml"), {}, problems)
    assert r.date("date") == dt.date(2017, 9, 1)
    assert r.date("at") == dt.date(2017, 9, 1)
    assert problems == []


# --- 4. deep nesting ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "line"),
    [
        ("title: " + "[" * 2000 + "\n", 2),
        ("title: " + "{a: " * 2000 + "\n", 2),
        ("title: " + "[" * 2000 + "]" * 2000 + "\n", 2),
        ("title:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 30)) + "  " * 30 + "x\n", 22),
        ("title:\n  " + "- " * 2000 + "x\n", 3),
        ("title: " + "[" * 20 + "]" * 20 + "\n", 2),
    ],
    ids=["open-brackets", "open-braces", "closed-brackets", "block-mappings", "block-sequences", "just-too-deep"],
)
def test_deep_nesting(scratch_project, raw, line):
    path, out = check_record(scratch_project, front(raw, "title"))
    assert f"{path}:{line}: field 'title': error: is nested more than 20 levels deep" in out, out


def test_nesting_up_to_the_limit_is_fine():
    assert schema.MAX_DEPTH == 20
    data, _lines, problem = load_yaml("title: " + "[" * 19 + "]" * 19 + "\n", Path("x.yaml"))
    assert problem is None
    depth, value = 0, data["title"]
    while isinstance(value, list):
        depth, value = depth + 1, value[0] if value else None
    assert depth == 19


def test_deep_nesting_load_yaml_directly():
    _data, _lines, problem = load_yaml("a:\n  b: " + "[" * 100_000, Path("x.yaml"), line_offset=1)
    assert problem is not None and problem.line == 3 and problem.field == "a"
    assert "nested more than 20 levels deep" in problem.message


# --- 5. alias bombs and long values ---------------------------------------------------------------


def alias_bomb(levels: int, field: str = "date") -> str:
    names = "abcdefghijklmnop"
    lines = [f"{names[0]}: &{names[0]} [" + ",".join(['"x"'] * 10) + "]"]
    for prev, name in zip(names, names[1 : levels + 1], strict=False):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 10) + "]")
    lines.append(f"{field}: *{names[levels]}")
    return "\n".join(lines) + "\n"


def test_alias_bomb_in_record(scratch_project):
    raw = alias_bomb(5)  # 10**6 values, 1 KiB of text
    assert len(raw) < 1_100
    path, out = check_record(scratch_project, front(raw, "date"))
    assert "YAML aliases (&name / *name) expand this to more than 10,000 values" in out, out[:2_000]
    assert f"{path}:" in out
    assert out.count("error:") <= 2


def test_alias_bomb_load_yaml_directly():
    assert schema.MAX_NODES == 10_000
    _data, _lines, problem = load_yaml(alias_bomb(9, "title"), Path("x.yaml"), line_offset=1)
    assert problem is not None and len(str(problem)) < 400
    assert "expand this to more than 10,000 values" in problem.message
    assert problem.field == "d" and problem.line == 5  # where the count passes 10,000


def test_recursive_alias():
    for text in ("title: &a [*a]\n", "title: &a {x: *a}\n"):
        _data, _lines, problem = load_yaml(text, Path("x.yaml"))
        assert problem is not None and problem.line == 1 and problem.field == "title", problem
        assert "inside its own anchor" in problem.message


def test_modest_aliases_still_work():
    data, _lines, problem = load_yaml("a: &a [x, y]\nb: *a\n", Path("x.yaml"))
    assert problem is None and data["b"] == ["x", "y"]


def test_long_values_are_shortened_in_messages(scratch_project):
    long = "x" * 100_000
    raw = f"kind: {long}\ndate: {long}\nreaction:\n  quote: a\n  name: b\n  ? {long}\n  : c\n"
    path, out = check_record(scratch_project, front(raw, "kind", "date"))
    assert f"{path}:2: field 'kind': error: 'xxx" in out
    assert f"{path}:3: field 'date': error: 'xxx" in out
    assert max(len(line) for line in out.splitlines()) < 500


def test_shorten():
    assert schema.shorten("kort") == "kort"
    assert len(schema.shorten("y" * 1000)) <= 60
    assert schema.shorten("y" * 1000).endswith("…")
    assert "\n" not in schema.shorten("a\nb")


# --- 6. anything else yaml can raise --------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "line"),
    [
        ("title: !!float abc\n", 2),
        ("title: !!int abc\n", 2),
        ("date: !!timestamp nonsense\n", 2),
        ("date: 0000-01-01\n", 2),
        ("page: " + "1" * 5000 + "\n", 2),
        ("title: !!python/object:os.system x\n", 2),
        ("x:\n  ? [a]\n  : b\n", 3),
        ("x: {[1]: 2}\n", 2),
        ("x: !!binary 'a'\n", 2),
    ],
    ids=["float", "int", "timestamp", "year-0", "huge-int", "python-tag", "list-key", "flow-list-key", "binary"],
)
def test_other_yaml_errors_are_problems(scratch_project, raw, line):
    path, out = check_record(scratch_project, front(raw, "title", "date"))
    assert f"{path}:{line}: error:" in out or f"{path}:{line}: field" in out, out


def test_unhashable_key_says_what_to_do(scratch_project):
    path, out = check_record(scratch_project, front("? [a]\n: b\n"))
    assert f"{path}:2: error: a field name (before ':') must be plain text, not a list or mapping." in out, out


def test_special_character_names_its_line(scratch_project):
    path, out = check_record(scratch_project, front("place: Zwo\x07lle\n", "place"))
    assert f"{path}:2: error: contains the special character #x0007, which is not allowed. Remove it." in out, out


NASTY = [
    "title: 12:30",
    "date: 2024-02-30",
    "date: 2024-14-01",
    "a: 2024-02-30 25:61:61",
    "[" * 5000,
    "{" * 5000,
    "- " * 5000,
    "? [a]: b",
    "{[1]: 2}",
    "? {a: 1}\n: 2",
    "a: !!set {[x]}",
    "a: !!float x",
    "a: !!omap [x]",
    "a: !!pairs x",
    "&a [*a, *b]",
    "a: *nope",
    "a: b\n---\nc: d",
    "\x00\x01",
    "\ud800",
    "a: 1e99999",
    "<<: 1",
    "a: \t\tb",
    "1: x\nnull: y\n~: z\n2018-01-01: q\ntrue: r\n1.5: s",
    alias_bomb(12),
]


@pytest.mark.parametrize("text", NASTY)
def test_load_yaml_never_raises(text):
    data, lines, problem = load_yaml(text, Path("x.yaml"), line_offset=1)
    assert isinstance(lines, dict)
    if problem is not None:
        assert isinstance(problem, Problem) and problem.path == Path("x.yaml")
        assert len(str(problem)) < 500
        assert data is None
    if isinstance(data, dict):
        problems: list[Problem] = []
        r = FieldReader(data, Path("x.yaml"), lines, problems)
        for name in ("title", "a", "date"):
            r.text(name)
            r.text_list(name)
            r.date(name)
            r.integer(name)
            r.choice(name, ["praktijkverhaal"])
        r.warn_unknown()
        assert all(len(str(p)) < 500 for p in problems)


# --- 7. keys that are not text --------------------------------------------------------------------


def test_non_text_keys_do_not_crash(scratch_project):
    path, out = check_record(scratch_project, front("null: x\n1: y\n2018-01-01: z\ntitle: [a]\n", "title"))
    assert f"{path}:2: field 'None': warning: unknown field" in out, out
    assert f"{path}:3: field '1': warning: unknown field" in out
    assert f"{path}:4: field '2018-01-01': warning: unknown field" in out


# --- what real content uses keeps working ---------------------------------------------------------

REAL = """\
title: "‘THINK op school’ verbindt onderwijs en zorg"  # a comment
lead: >-
  Aan de ene kant
  en de andere kant.
boxes:
  - title: Tip
    body: |
      Regel een.
      Regel twee.
themes: [onderwijs, preventie]
municipalities: all
factors: false
date: 2017-09-01
reaction:
  quote: "Mooi"
  name: Mirjam Beelen
sources:
  - {title: Van nul tot later, seed: a.txt, page: 4}
"""


def test_real_content_features():
    data, lines, problem = load_yaml(REAL, Path("x.md"), line_offset=1)
    assert problem is None
    assert lines["title"] == 2 and lines["sources"] == 18
    assert data["title"] == "‘THINK op school’ verbindt onderwijs en zorg"
    assert data["lead"] == "Aan de ene kant en de andere kant."
    assert data["boxes"][0]["body"] == "Regel een.\nRegel twee.\n"
    assert data["themes"] == ["onderwijs", "preventie"]
    assert data["municipalities"] == "all"
    assert data["factors"] is False
    assert type(data["date"]) is dt.date
    assert data["reaction"] == {"quote": "Mooi", "name": "Mirjam Beelen"}
    assert data["sources"] == [{"title": "Van nul tot later", "seed": "a.txt", "page": 4}]
    assert load_yaml("", Path("x.md")) == (None, {}, None)
