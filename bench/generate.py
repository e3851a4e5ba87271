"""Generate a large katern project for the benchmark: N records varied from the shipped ones.

    .venv/bin/python bench/generate.py DEST [--records 1000] [--seed 10] [--brochure 10 --brochure 20 ...]

DEST gets the shipped tables (municipalities, themes, factors) and seeds, N records and these
publications:

- `per-provincie`: a newsletter with `each: province` over every record (one edition per province);
- `brochure-50` and `brochure-K` for every `--brochure K`: brochures of the first K records.

Record i is made from shipped record `i % 40` (in file-name order) with its own random generator,
seeded by `seed` and `i`. So the first 125 records of a 1,000-record project are the 125 records
of a 125-record project: sizes are nested, and the same seed always gives the same files. Each
record after the first 40 gets another municipality (and its province; the old place name is
replaced in the text, and factors that do not name every municipality are dropped); every record
gets another date, a shuffled order of the paragraphs within each section and of its list items, and
sometimes one theme more or less. Drafts are never used as a base, and a record's `editions`
(changes per shipped publication) are left out.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
TABLES = ("municipalities.csv", "themes.yaml", "factors.yaml")
BROCHURE_SIZES = (50,)  # always written; --brochure adds more
DROPPED = ("draft", "editions")  # `editions` names shipped publications, which the generated project lacks
FIRST_DAY = dt.date(2015, 1, 1)
DAYS = (dt.date(2024, 12, 31) - FIRST_DAY).days


@dataclass
class Base:
    """A shipped record, split into its front matter (parsed) and body."""

    slug: str
    front: dict
    body: str


def _split(text: str) -> tuple[dict, str]:
    """Return (front matter, body) of a record file."""
    match = re.match(r"\A---\n(.*?)\n---[ \t]*\n(.*)\Z", text.replace("\r\n", "\n"), re.S)
    if not match:
        raise ValueError("no front matter")
    return yaml.safe_load(match.group(1)) or {}, match.group(2).strip("\n")


def shipped_records(source: Path = ROOT) -> list[Base]:
    """Return the shipped, finished records of `source`, in file-name order."""
    bases = []
    for path in sorted((source / "content" / "records").glob("*.md")):
        front, body = _split(path.read_text(encoding="utf-8"))
        if not front.get("draft"):
            bases.append(Base(path.stem, front, body))
    if not bases:
        raise SystemExit(f"no finished records in {source / 'content' / 'records'}")
    return bases


def municipalities(source: Path = ROOT) -> list[tuple[str, str]]:
    """Return (municipality, province) for every row of the shipped municipalities table."""
    with (source / "content" / "municipalities.csv").open(encoding="utf-8", newline="") as handle:
        return [(row["name"], row["province"]) for row in csv.DictReader(handle)]


def _shuffle_sections(body: str, rng: random.Random) -> str:
    """Shuffle the paragraphs within each `##` section, and the items of each list, of a Markdown body."""
    out = []
    for section in re.split(r"(?m)^(?=## )", body):
        blocks = [b for b in section.split("\n\n") if b.strip()]
        head = [blocks.pop(0)] if blocks and blocks[0].startswith("## ") else []
        for i, block in enumerate(blocks):
            lines = block.split("\n")
            if len(lines) > 1 and all(line.startswith("- ") for line in lines):
                rng.shuffle(lines)
                blocks[i] = "\n".join(lines)
        rng.shuffle(blocks)
        out.append("\n\n".join(head + blocks))
    return "\n\n".join(s for s in out if s)


def _replace_place(value, old: str | None, new: str):
    """Replace the old place name by the new one in a text, or in the texts inside lists and mappings."""
    if not old or len(old) < 3:
        return value
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, list):
        return [_replace_place(v, old, new) for v in value]
    if isinstance(value, dict):
        return {k: _replace_place(v, old, new) for k, v in value.items()}
    return value


def make_record(
    i: int, bases: list[Base], places: list[tuple[str, str]], themes: list[str], everywhere: set[str], seed: int
):
    """Return (slug, file text) of generated record `i`.

    The first round (one record per shipped record) keeps its place, so that every municipality a
    werkende factor names keeps a story; later records move, and keep only the factors that name
    every municipality (`municipalities: all`), so the project stays free of warnings.
    """
    base = bases[i % len(bases)]
    rng = random.Random(f"{seed}:{i}")
    municipality, province = rng.choice(places)
    front = dict(base.front)
    old_place = front.get("place")
    if i < len(bases):
        municipality = old_place or municipality
    else:
        for key in ("title", "lead", "quotes", "boxes", "tips", "reaction", "contact"):
            if key in front:
                front[key] = _replace_place(front[key], old_place, municipality)
        front["place"] = municipality
        front["municipalities"] = [municipality]
        front["province"] = province
        factors = [f for f in front.get("factors") or [] if f in everywhere]
        if factors:
            front["factors"] = factors
        else:
            front.pop("factors", None)
    front["date"] = FIRST_DAY + dt.timedelta(days=rng.randrange(DAYS + 1))
    record_themes = list(front.get("themes") or [])
    if record_themes and rng.random() < 0.3:
        record_themes.pop(rng.randrange(len(record_themes)))
    if rng.random() < 0.3:
        extra = rng.choice(themes)
        if extra not in record_themes:
            record_themes.append(extra)
    if record_themes:
        front["themes"] = record_themes
    for key in DROPPED:
        front.pop(key, None)
    body = _shuffle_sections(_replace_place(base.body, old_place, municipality), rng)
    slug = f"r{i:04d}-{base.slug}"[:80].rstrip("-")
    text = "---\n" + yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=100) + "---\n\n" + body + "\n"
    return slug, text


def brochure(title: str, slugs: list[str]) -> str:
    """Return the publication file of a brochure of `slugs`."""
    data = {
        "title": title,
        "subtitle": "Gegenereerd voor de benchmark",
        "publisher": "Ministerie van Volksgezondheid, Welzijn en Sport",
        "date": dt.date(2024, 1, 9),
        "date_style": "month",
        "language": "nl",
        "layout": "brochure",
        "theme": "vws",
        "page_size": "A4",
        "records": slugs,
        "foreword": {"title": "Voorwoord", "body": "Deze brochure is gemaakt door bench/generate.py."},
        "factors": {"position": "end"},
        "colophon": "Gegenereerd met katern voor de benchmark.",
        "outputs": ["pdf", "html"],
        "max_pages": 5000,
    }
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


PER_PROVINCE = """\
# One newsletter edition per province, over every generated record.
title: Integraal werken
subtitle: Praktijkvoorbeelden per provincie
publisher: Ministerie van Volksgezondheid, Welzijn en Sport
date: 2024-01-09
language: nl
layout: newsletter
theme: vws
page_size: A4
query:
  date_from: 2000-01-01
sort: date
each: province
outputs: [pdf, html]
max_pages: 5000
"""


def generate(
    dest: Path, records: int = 1000, seed: int = 10, brochures: tuple[int, ...] = (), source: Path = ROOT
) -> list[str]:
    """Write a project with `records` generated records into `dest` (which must not hold content/).

    Returns the slugs of the records, in order.
    """
    dest = Path(dest)
    if (dest / "content").exists():
        raise SystemExit(f"{dest / 'content'} exists already; give an empty folder")
    (dest / "content" / "records").mkdir(parents=True)
    (dest / "content" / "publications").mkdir()
    for table in TABLES:
        shutil.copy2(source / "content" / table, dest / "content" / table)
    shutil.copytree(source / "seeds", dest / "seeds")
    bases = shipped_records(source)
    places = municipalities(source)
    themes = sorted(yaml.safe_load((source / "content" / "themes.yaml").read_text(encoding="utf-8")))
    factors = yaml.safe_load((source / "content" / "factors.yaml").read_text(encoding="utf-8")) or []
    everywhere = {f["id"] for f in factors if f.get("municipalities") == "all"}
    slugs = []
    for i in range(records):
        slug, text = make_record(i, bases, places, themes, everywhere, seed)
        (dest / "content" / "records" / f"{slug}.md").write_text(text, encoding="utf-8")
        slugs.append(slug)
    (dest / "content" / "publications" / "per-provincie.yaml").write_text(PER_PROVINCE, encoding="utf-8")
    for size in sorted({*BROCHURE_SIZES, *brochures}):
        if size <= records:
            text = brochure(f"Brochure van {size} verhalen", slugs[:size])
            (dest / "content" / "publications" / f"brochure-{size}.yaml").write_text(text, encoding="utf-8")
    return slugs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path, help="an empty (or new) folder")
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--brochure", type=int, action="append", default=[], help="also a brochure of K records")
    args = parser.parse_args(argv)
    slugs = generate(args.dest, args.records, args.seed, tuple(args.brochure))
    print(f"{args.dest}: {len(slugs)} records")
    return 0


if __name__ == "__main__":
    sys.exit(main())
