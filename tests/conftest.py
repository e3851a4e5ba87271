"""Shared fixtures: a small, valid katern project written into a temporary folder."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).parents[1]

MUNICIPALITIES = """\
name,province
Zwolle,Overijssel
Oss,Noord-Brabant
Tilburg,Noord-Brabant
Leiden,Zuid-Holland
Dordrecht,Zuid-Holland
De Marne,Groningen
"""

THEMES = """\
# Theme ids records may use, with the label printed for them.
preventie: Preventie
jeugd: Jeugd
maatwerk: Maatwerk
ontschotting: Ontschotting
"""

FACTORS = """\
- id: juiste-mensen
  text: >-
    Zorg voor de juiste mensen op de juiste plek op het juiste moment.
  municipalities: all
- id: gezamenlijke-zoektocht
  text: Maak er een gezamenlijke zoektocht van, met ruimte om te experimenteren.
  municipalities: [Oss, Zwolle]
- id: onconventionele-oplossingen
  text: Durf te kiezen voor onconventionele oplossingen.
  municipalities: [Oss]
"""

SEED_NAME = "one-seed.txt"
SEED_TEXT = "Van nul tot later als ik groot ben\n\nEen seed-tekst voor de tests.\n"

SOURCE = {"title": "Van nul tot later als ik groot ben", "seed": SEED_NAME, "page": 4}

# slug -> front matter; the bodies are written by write_record.
RECORDS: dict[str, dict] = {
    "zwolle-think-op-school": {
        "title": "‘THINK op school’ verbindt onderwijs en zorg",
        "kind": "praktijkverhaal",
        "place": "Zwolle",
        "municipalities": ["Zwolle"],
        "province": "Overijssel",
        "date": dt.date(2017, 9, 1),
        "themes": ["preventie", "jeugd"],
        "factors": ["juiste-mensen", "gezamenlijke-zoektocht"],
        "sources": [SOURCE],
    },
    "oss-maatwerkfabriek": {
        "title": "Maatwerkfabriek Oss",
        "kind": "praktijkverhaal",
        "place": "Oss",
        "municipalities": ["Oss"],
        "province": "Noord-Brabant",
        "date": dt.date(2017, 9, 1),
        "themes": ["maatwerk", "ontschotting"],
        "factors": ["juiste-mensen", "gezamenlijke-zoektocht", "onconventionele-oplossingen"],
        "sources": [{**SOURCE, "page": 26}],
    },
    "leiden-vliegende-brigade": {
        "title": "Vliegende brigade helpt snel",
        "kind": "onder-de-loep",
        "place": "Leiden",
        "municipalities": ["Leiden"],
        "date": dt.date(2018, 9, 24),
        "themes": ["maatwerk"],
        "sources": [{"title": "Integraal werken — Midden-Nederland", "edition": "24 september 2018"}],
    },
    "de-marne-jeugdsoos": {
        "title": "De jeugdsoos als hart van de jeugdhulp",
        "kind": "in-het-kort",
        "place": "De Marne",
        "municipalities": ["De Marne"],
        "province": "Groningen",
        "date": dt.date(2018, 10, 8),
        "themes": ["jeugd"],
        "sources": [{"title": "Integraal werken — Noord-Nederland", "seed": SEED_NAME}],
    },
}

BROCHURE = """\
title: Van nul tot later als ik groot ben
subtitle: Gemeenten investeren in kansen voor jongeren
publisher: Ministerie van Volksgezondheid, Welzijn en Sport
date: 2017-09-01
date_style: month
layout: brochure
records:
  - zwolle-think-op-school
  - oss-maatwerkfabriek
factors:
  after: oss-maatwerkfabriek
"""

EDITION = """\
title: Integraal werken
edition: Zuid-Holland
date: 2018-10-01
layout: newsletter
query:
  province: Zuid-Holland
sort: date
"""


def write_record(root: Path, slug: str, front: dict | str, body: str = "Tekst.") -> Path:
    """Write content/records/<slug>.md (slug may contain a subfolder) and return its path."""
    path = Path(root) / "content" / "records" / f"{slug}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(front, dict):
        front = yaml.safe_dump(front, allow_unicode=True, sort_keys=False)
    if not front.endswith("\n"):
        front += "\n"
    path.write_text(f"---\n{front}---\n\n{body}\n", encoding="utf-8")
    return path


def record_front(slug: str, **changes) -> dict:
    """Return a copy of a scratch record's front matter with `changes` applied (None removes a key)."""
    front = {k: v for k, v in RECORDS[slug].items()}
    for key, value in changes.items():
        if value is None:
            front.pop(key, None)
        else:
            front[key] = value
    return front


def snapshot(root: Path) -> dict[str, str]:
    """Return {relative path: sha256} of every file under `root`."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(Path(root).rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="session", autouse=True)
def record_cache_home(tmp_path_factory: pytest.TempPathFactory):
    """Keep the record cache (katern.recordcache) of the test session out of the user's home folder."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
        yield


@pytest.fixture
def scratch_project(tmp_path: Path) -> Path:
    """Write a small valid project into tmp_path and return its root."""
    content = tmp_path / "content"
    (content / "records").mkdir(parents=True)
    (content / "publications").mkdir()
    (tmp_path / "seeds").mkdir()
    (content / "municipalities.csv").write_text(MUNICIPALITIES, encoding="utf-8")
    (content / "themes.yaml").write_text(THEMES, encoding="utf-8")
    (content / "factors.yaml").write_text(FACTORS, encoding="utf-8")
    (tmp_path / "seeds" / SEED_NAME).write_text(SEED_TEXT, encoding="utf-8")
    for slug, front in RECORDS.items():
        write_record(tmp_path, slug, front, body=f"## {front['place']}\n\nHet verhaal uit {front['place']}.")
    (content / "publications" / "van-nul-tot-later.yaml").write_text(BROCHURE, encoding="utf-8")
    (content / "publications" / "zuid-holland.yaml").write_text(EDITION, encoding="utf-8")
    return tmp_path


REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def shipped(tmp_path_factory: pytest.TempPathFactory):
    """Build every shipped publication (PDF and HTML) once per test session; return (project, out dir, results)."""
    from katern.build import build
    from katern.project import load_project

    project = load_project(REPO)
    out = tmp_path_factory.mktemp("shipped")
    results = {r.name: r for r in build(project, None, ("pdf", "html"), out)}
    return project, out, results
