"""Turn a plain-text export of a publication (a seed) into draft records.

One module per source format, each with an importer object: a `name`, a `description`, a cheap
`detect(text)` that looks at the first lines only and says how much the text looks like its format
(0, 1 or 2), and `parse(lines, seed_name)` that cuts the numbered lines into drafts. `IMPORTERS`
lists them in order of preference; `parse_seed` tries the importers in order of their detection
score (ties keep that order) and keeps the first that finds a story. To add a format, write a
module like `newsletter.py` and add its importer to `IMPORTERS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from katern.errors import SeedImportError
from katern.fsutil import atomic_write
from katern.importers.articles import ArticlesImporter
from katern.importers.brochure import BrochureImporter
from katern.importers.common import Draft, Importer, Lines, make_slugs_unique, split_lines
from katern.importers.enrich import fill_from_tables
from katern.importers.newsletter import NewsletterImporter

__all__ = [
    "IMPORTERS",
    "KNOWN_FORMATS",
    "Draft",
    "ImportReport",
    "Importer",
    "SeedImport",
    "import_seed",
    "parse_seed",
]

IMPORTERS: tuple[Importer, ...] = (NewsletterImporter(), ArticlesImporter(), BrochureImporter())

KNOWN_FORMATS = ", ".join(i.description for i in IMPORTERS[:-1]) + f" and {IMPORTERS[-1].description}"


@dataclass
class SeedImport:
    """The drafts found in one seed text, and the lines that fitted nowhere."""

    format: str
    drafts: list[Draft]
    unplaced: Lines = field(default_factory=list)


@dataclass
class ImportReport:
    """What `import_seed` wrote, what it left alone and what it could not place."""

    written: list[Path]
    skipped: list[Path]
    unplaced: Lines
    format: str
    seed: Path | None = None  # the seed in the project's seeds/ the drafts refer to
    seed_copied: bool = False  # whether import_seed copied it there


def detection_order(text: str) -> list[Importer]:
    """Return the importers, most likely format first (registry order breaks ties)."""
    return sorted(IMPORTERS, key=lambda importer: -importer.detect(text))


def parse_seed(
    text: str,
    seed_name: str,
    municipalities: Mapping[str, str] | None = None,
    themes: Mapping[str, str] | None = None,
) -> SeedImport:
    """Detect the format of a seed text and cut it into drafts.

    With the project's tables ({municipality: province} and {theme id: label}), each draft also gets
    the municipalities and province its place names, and the themes its text names (at most three).
    """
    lines = split_lines(text)
    for importer in detection_order(text):
        drafts, unplaced = importer.parse(lines, seed_name)
        if drafts:
            break
    else:
        raise SeedImportError(f"no story recognised; katern knows {KNOWN_FORMATS}", path=seed_name)
    make_slugs_unique(drafts)
    for draft in drafts:
        fill_from_tables(draft, municipalities or {}, themes or {})
    return SeedImport(format=importer.name, drafts=drafts, unplaced=sorted(set(unplaced)))


def import_seed(
    seed_path: Path,
    into: Path,
    force: bool = False,
    *,
    seeds_dir: Path | None = None,
    municipalities: Mapping[str, str] | None = None,
    themes: Mapping[str, str] | None = None,
) -> ImportReport:
    """Write the drafts of a seed text as records into a folder, never clobbering by default.

    With `seeds_dir` (the project's seeds/), a seed from elsewhere is first copied there, so that the
    drafts' `sources[].seed` names a file `katern check` accepts; a different file of the same name
    there is never overwritten (SeedImportError, before any draft is written).
    """
    seed_path, into = Path(seed_path), Path(into)
    data = _read_seed(seed_path)
    try:
        result = parse_seed(data.decode("utf-8"), seed_path.name, municipalities, themes)
    except SeedImportError as error:
        raise SeedImportError(error.message, path=seed_path) from None
    report = ImportReport(written=[], skipped=[], unplaced=result.unplaced, format=result.format)
    if seeds_dir is not None:
        report.seed, report.seed_copied = _place_seed(seed_path, data, Path(seeds_dir))
    for draft in result.drafts:
        target = into / f"{draft.slug}.md"
        if target.exists() and not force:
            report.skipped.append(target)
            continue
        _write(target, draft.to_markdown())
        report.written.append(target)
    return report


def _read_seed(path: Path) -> bytes:
    """Return the bytes of a UTF-8 seed file, or raise SeedImportError naming it."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SeedImportError("the seed text does not exist", path=path) from None
    except OSError as error:
        raise SeedImportError(f"cannot read the seed text: {error.strerror or error}", path=path) from None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SeedImportError(f"the seed text is not UTF-8 (bad byte at offset {error.start})", path=path) from None
    return data


def _place_seed(seed_path: Path, data: bytes, seeds_dir: Path) -> tuple[Path, bool]:
    """Make sure the seed is in seeds/: copy it there, or reuse an identical copy; return (path, copied)."""
    target = seeds_dir / seed_path.name
    if target.exists() and target.resolve() == seed_path.resolve():
        return target, False
    if target.exists() or target.is_symlink():
        try:
            same = target.is_file() and target.read_bytes() == data
        except OSError:
            same = False
        if same:
            return target, False
        stem, suffix = seed_path.stem, seed_path.suffix
        raise SeedImportError(
            f"{target} already exists with other content than {seed_path}, and katern never overwrites a seed. "
            f"If this is another text, rename {seed_path.name} (for example to {stem}-2{suffix}) and import it "
            f"again; if it replaces the old text, copy it over {target} yourself and run the import again.",
            path=seed_path,
        )
    try:
        atomic_write(target, data)
    except OSError as error:
        raise SeedImportError(f"cannot copy the seed into seeds/: {error.strerror or error}", path=target) from None
    return target, True


def _write(target: Path, text: str) -> None:
    """Write one record atomically, turning an OS failure into SeedImportError."""
    try:
        atomic_write(target, text)
    except OSError as error:
        raise SeedImportError(f"cannot write the record: {error.strerror or error}", path=target) from None
