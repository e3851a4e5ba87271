"""A katern project: find its folders, load all content, and validate cross references."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from katern.errors import ConfigError, Problem, ValidationFailed
from katern.markup import MAX_ADDRESS, MAX_WORD, MarkupError
from katern.models import PROVINCES, Factor, Record
from katern.paths import RefusedPath, Resolver, abbreviate, is_url, not_an_image
from katern.publications import Publication, expand_each, load_publications, resolve_records
from katern.query import normalise_province
from katern.recordcache import RecordCache
from katern.records import error_fields, load_records
from katern.registry import Layouts, load_layouts
from katern.schema import did_you_mean, shorten
from katern.tables import load_factors, load_municipalities, load_themes
from katern.themes import THEME_FILE, Theme, color_warnings, load_theme, theme_names

log = logging.getLogger(__name__)


@dataclass
class Project:
    root: Path
    records: dict[str, Record] = field(default_factory=dict)
    factors: list[Factor] = field(default_factory=list)
    themes: dict[str, str] = field(default_factory=dict)
    municipalities: dict[str, str] = field(default_factory=dict)
    publications: dict[str, Publication] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # Records that no slug leads to (a second file with the same slug): queries must still see them.
    shadowed: list[Record] = field(default_factory=list)
    # Publications with `each:`: file name -> the names of its editions (in project.publications).
    families: dict[str, list[str]] = field(default_factory=dict)
    resolver: Resolver = field(init=False)
    layouts: Layouts = field(default_factory=Layouts)
    styles: dict[str, Theme] = field(default_factory=dict)  # theme name -> the theme, resolved
    # Parses records and inspects Markdown texts, keeping the results for the next run (katern.recordcache).
    cache: RecordCache = field(default_factory=RecordCache, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.resolver = project_resolver(self.root)

    @property
    def content_dir(self) -> Path:
        return self.root / "content"

    @property
    def records_dir(self) -> Path:
        return self.content_dir / "records"

    @property
    def seeds_dir(self) -> Path:
        return self.root / "seeds"

    @property
    def layouts_dir(self) -> Path:
        return self.root / "layouts"

    @property
    def styles_dir(self) -> Path:
        return self.root / "styles"

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]

    def factor(self, factor_id: str) -> Factor | None:
        """Return the factor with this id."""
        return next((f for f in self.factors if f.id == factor_id), None)

    def raise_for_problems(self, strict: bool = False) -> None:
        """Raise ValidationFailed if there are errors, or warnings under `strict`."""
        if self.errors or (strict and self.warnings):
            raise ValidationFailed(self.problems, strict=strict)


def find_root(start: Path, search_parents: bool = True) -> Path:
    """Return the project folder: `start` or, with `search_parents`, the nearest parent holding `content/`.

    Without `search_parents` (an explicit `--project DIR`), `start` must exist and be a project itself.
    """
    start = Path(start)
    if not search_parents:
        if not start.exists():
            raise ConfigError(f"--project: the folder '{start}' does not exist.")
        if not start.is_dir():
            raise ConfigError(f"--project: '{start}' is a file, not a folder. Pass the folder that holds content/.")
        if not (start / "content").is_dir():
            above = next((f for f in start.resolve().parents if (f / "content").is_dir()), None)
            hint = f" Did you mean '{above}'? It holds content/." if above else ""
            raise ConfigError(
                f"--project: the folder '{start}' is not a katern project: a project folder holds a "
                "'content' folder (with records/, publications/, factors.yaml, themes.yaml and "
                f"municipalities.csv). Pass the folder that holds content/.{hint}"
            )
        return start.resolve()
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / "content").is_dir():
            return folder
    raise ConfigError(
        f"no katern project here: neither {start} nor a folder above it has a 'content' folder. "
        "Run katern inside your project, or pass --project DIR.",
        path=start,
    )


def project_resolver(root: Path) -> Resolver:
    """Return the resolver for a project: its own folder, katern's layouts and styles, the font packages."""
    from katern.resources import PACKAGE_DIR, builtin_dir, font_dirs

    return Resolver.for_project(root, [PACKAGE_DIR, builtin_dir("layouts"), builtin_dir("styles"), *font_dirs()])


def load_project(root: Path | str = ".") -> Project:
    """Discover, parse and cross-check everything in the project; problems are collected, not raised."""
    project = Project(root=find_root(Path(root)))
    project.cache = RecordCache.open(project.root)
    problems = project.problems
    resolver = project.resolver
    tables = {
        "municipalities": load_municipalities(project.content_dir / "municipalities.csv", problems, resolver),
        "themes": load_themes(project.content_dir / "themes.yaml", problems, resolver),
        "factors": load_factors(project.content_dir / "factors.yaml", problems, resolver),
    }
    project.municipalities, project.themes, project.factors = (
        tables["municipalities"],
        tables["themes"],
        tables["factors"],
    )
    broken = _broken_tables(project)
    for record in load_records(project.records_dir, problems, resolver, project.cache):
        if record.slug in project.records:
            other = project.records[record.slug].path
            problems.append(
                Problem(
                    record.path,
                    f"duplicate slug '{record.slug}': {other} has the same file name. Rename one.",
                )
            )
            record.unreadable.add("*")
            project.shadowed.append(record)
        else:
            project.records[record.slug] = record
    skipped: dict[str, int] = {}
    for record in project.records.values():
        if "*" not in record.unreadable:
            before = len(problems)
            _check_record(project, record, broken, skipped)
            record.unreadable |= error_fields(problems[before:])
    if "municipalities" not in broken and "factors" not in broken:
        _check_factor_links(project)
    _report_skipped(project, broken, skipped)
    project.layouts = load_layouts(project.root, problems)
    for pub in load_publications(project.content_dir / "publications", problems, resolver, project.layouts):
        resolve_records(pub, project.records, project.themes, problems, project.shadowed, broken)
        _check_publication_text(project, pub)
        editions = expand_each(pub, project.themes, problems)
        if pub.each:
            project.families[pub.name] = [e.name for e in editions]
        for edition in editions:
            if edition.name in project.publications:
                problems.append(
                    Problem(
                        pub.path,
                        f"the edition '{edition.name}' has the same name as {project.publications[edition.name].path}. "
                        "Rename one of the files.",
                        "each",
                    )
                )
                continue
            project.publications[edition.name] = edition
    _load_themes(project)
    project.cache.close()  # writes what changed; from now on it only computes
    log.debug(
        "loaded %d records, %d publications",
        len(project.records),
        len(project.publications),
    )
    return project


def _load_themes(project: Project) -> None:
    """Resolve the theme of every publication once; an unknown theme is an error of the publication."""
    for name in sorted({pub.theme for pub in project.publications.values()}):
        before = len(project.problems)
        theme = load_theme(project.root, project.resolver, name, project.problems)
        if theme is None:
            names = theme_names(project.root)
            for pub in project.publications.values():
                if pub.theme == name:
                    project.problems.append(
                        Problem(
                            pub.path,
                            f"unknown theme '{shorten(name)}'.{did_you_mean(name, names)} "
                            f"Available: {', '.join(names)}.",
                            "theme",
                        )
                    )
            continue
        spec = project.styles_dir / name / THEME_FILE
        if spec.is_file() and len(project.problems) == before:
            project.problems += color_warnings(theme, spec)
        project.styles[name] = theme


# Which table each record field is checked against, and the file it comes from.
TABLE_FILES = {"municipalities": "municipalities.csv", "themes": "themes.yaml", "factors": "factors.yaml"}


def _broken_tables(project: Project) -> set[str]:
    """Return the tables that could not be read: their references are not checked one by one."""
    broken = set()
    for name, filename in TABLE_FILES.items():
        path = project.content_dir / filename
        if any(p.path == path and p.is_error and p.field is None for p in project.problems) or not getattr(
            project, name
        ):
            broken.add(name)
    return broken


def _report_skipped(project: Project, broken: set[str], skipped: dict[str, int]) -> None:
    """Add to the table's own error how many references were left unchecked because it could not be read."""
    for name in sorted(broken):
        count = skipped.get(name, 0)
        if not count:
            continue
        path = project.content_dir / TABLE_FILES[name]
        note = f" ({count} record(s) refer to {name}; they are checked once this file can be read, so fix this first.)"
        for index, problem in enumerate(project.problems):
            if problem.path == path and problem.is_error:
                project.problems[index] = replace(problem, message=problem.message + note)
                break


def _check_record(project: Project, record: Record, broken: set[str], skipped: dict[str, int]) -> None:
    add = project.problems.append
    path = record.path
    table = project.municipalities
    provinces = set()
    for name in broken:
        if getattr(record, name):
            skipped[name] = skipped.get(name, 0) + 1
    for m in record.municipalities if "municipalities" not in broken else ():
        if m not in table:
            add(
                Problem(
                    path,
                    f"unknown municipality '{shorten(m)}'.{did_you_mean(m, table)} "
                    "Use the name as in content/municipalities.csv.",
                    "municipalities",
                )
            )
        else:
            provinces.add(table[m])
    if record.province:
        province = normalise_province(record.province)
        if province not in PROVINCES:
            add(
                Problem(
                    path,
                    f"unknown province '{shorten(record.province)}'.{did_you_mean(record.province, PROVINCES)}",
                    "province",
                )
            )
        elif provinces and province not in provinces:
            add(
                Problem(
                    path,
                    f"province '{province}' does not match the municipalities, which lie in "
                    f"{', '.join(sorted(provinces))}. Correct one of them.",
                    "province",
                )
            )
        record.province = province
    elif len(provinces) == 1:
        record.province = provinces.pop()
    elif "municipalities" in broken and record.municipalities:
        record.unreadable.add("province")  # it would come from the table, which cannot be read
    for t in record.themes if "themes" not in broken else ():
        if t not in project.themes:
            add(
                Problem(
                    path,
                    f"unknown theme '{shorten(t)}'.{did_you_mean(t, project.themes)} "
                    "Themes are listed in content/themes.yaml.",
                    "themes",
                )
            )
    for fid in record.factors if "factors" not in broken else ():
        factor = project.factor(fid)
        if factor is None:
            ids = [f.id for f in project.factors]
            add(
                Problem(
                    path,
                    f"unknown factor '{shorten(fid)}'.{did_you_mean(fid, ids)} Factors are in content/factors.yaml.",
                    "factors",
                )
            )
        elif "municipalities" in broken:
            continue
        elif not factor.applies_to_all and not any(factor.applies_to(m) for m in record.municipalities):
            add(
                Problem(
                    path,
                    f"factor '{fid}' does not name {', '.join(record.municipalities) or 'this place'}. "
                    "Remove it here, or add the municipality to the factor.",
                    "factors",
                    severity="warning",
                )
            )
    for i, source in enumerate(record.sources, 1):
        problem = _seed_problem(project, source.seed) if source.seed else None
        if problem:
            add(Problem(path, problem, f"sources[{i}].seed"))
    for i, image in enumerate(record.images, 1):
        problem = image_problem(project.resolver, path.parent, image.src)
        if problem:
            add(Problem(path, problem, f"images[{i}].src"))
    for name, text, line in _markdown_fields(record):
        _check_markdown(project, path, record.path.parent, name, text, line)
    for name, text in _printed_fields(record):
        for word in project.cache.long_words(text)[:1]:
            add(
                Problem(
                    path,
                    f"has a word of {len(word)} characters ('{abbreviate(word, 30)}'), too long to set in a column "
                    f"(katern allows {MAX_WORD}, web addresses {MAX_ADDRESS}). Is a space missing?",
                    name,
                    _line_of(record, name, word),
                )
            )
    if record.draft:
        add(
            Problem(
                path,
                "is a draft. Finish it (curate what 'katern import' or 'katern new' filled in), "
                "then remove 'draft: true'.",
                "draft",
                severity="warning",
            )
        )
    # A published record about a place needs its municipalities, or no province or region query finds it;
    # not when its province is set on purpose (a province-wide item), nor when it has no place (a national one).
    elif (
        record.place
        and not record.municipalities
        and not record.province
        and not record.unreadable & {"municipalities", "province", "place"}
    ):
        add(
            Problem(
                path,
                "has no municipalities, so province and region queries cannot find it. "
                "Add the municipalities it concerns (see content/municipalities.csv).",
                "municipalities",
                severity="warning",
            )
        )


def _markdown_fields(record: Record) -> list[tuple[str, str, int | None]]:
    """Return (field, Markdown text, line of the text's start) for each Markdown text of a record."""
    fields: list[tuple[str, str, int | None]] = [("body", record.body, record.body_line)]
    fields += [(f"boxes[{i}].body", b.body, None) for i, b in enumerate(record.boxes, 1)]
    fields += [(f"tips[{i}]", t, None) for i, t in enumerate(record.tips, 1)]
    if record.contact:
        fields.append(("contact", record.contact, None))
    for name, changes in record.editions.items():  # what it prints instead in one publication: checked alike
        variant = replace(record.for_publication(name), editions={})
        fields += [(f"editions.{name}.{f}", t, None) for f, t, _ in _markdown_fields(variant) if _top(f) in changes]
    return fields


def _top(name: str) -> str:
    """Return the record field a problem's field names ('boxes' for 'boxes[2].body')."""
    return name.split("[")[0].split(".")[0]


def _printed_fields(record: Record) -> list[tuple[str, str]]:
    """Return (field, text) for every text of a record that is printed."""
    texts = [("title", record.title), ("place", record.place or ""), ("lead", record.lead or "")]
    texts += [(f"quotes[{i}]", q) for i, q in enumerate(record.quotes, 1)]
    texts += [(f"boxes[{i}].title", b.title) for i, b in enumerate(record.boxes, 1)]
    texts += [(f"links[{i}].label", link.label) for i, link in enumerate(record.links, 1)]
    if record.reaction:
        texts += [("reaction.quote", record.reaction.quote), ("reaction.name", record.reaction.name)]
        texts += [("reaction.title", record.reaction.title or ""), ("reaction.role", record.reaction.role or "")]
    texts += [(name, text) for name, text, _line in _markdown_fields(record)]
    for name, changes in record.editions.items():  # the Markdown ones are among _markdown_fields already
        variant = replace(record.for_publication(name), editions={})
        markdown = {f for f, _t, _line in _markdown_fields(variant)}
        texts += [
            (f"editions.{name}.{f}", t) for f, t in _printed_fields(variant) if _top(f) in changes and f not in markdown
        ]
    return texts


def _line_of(record: Record, name: str, needle: str) -> int | None:
    """Return the line of `needle` in the body, for problems in the body."""
    if name != "body":
        return None
    index = record.body.find(needle)
    return record.body_line + record.body[:index].count("\n") if index >= 0 else record.body_line


def _check_markdown(project: Project, path: Path, base: Path, name: str, text: str, line: int | None) -> None:
    """Report what a Markdown text contains that katern would remove, and every image it refers to."""
    add = project.problems.append

    def line_of(needle: str) -> int | None:
        if line is None:
            return None
        index = text.find(needle)
        return line + text[:index].count("\n") if index >= 0 else line

    try:
        found = project.cache.inspect_markdown(text)
    except MarkupError as exc:
        add(Problem(path, exc.message, name, line))
        return
    for finding in found.refused:
        add(Problem(path, finding.message, name, line_of(finding.needle)))
    for src in found.without_alt:
        add(
            Problem(
                path,
                f"the image '{abbreviate(src)}' in the {name} has no alt text. "
                f"Write ![what the image shows]({abbreviate(src)}).",
                name,
                line_of(src),
            )
        )
    for src in found.images:
        problem = image_problem(project.resolver, base, src)
        if problem:
            add(Problem(path, f"image: {problem}", name, line_of(src)))


def _check_publication_text(project: Project, pub: Publication) -> None:
    """Check the Markdown texts of a publication file (foreword, colophon) like a record's."""
    texts = [("colophon", pub.colophon)]
    if pub.foreword:
        texts.append(("foreword.body", pub.foreword.body))
    for name, text in texts:
        if text:
            _check_markdown(project, pub.path, pub.path.parent, name, text, None)
    printed = [("title", pub.title), ("subtitle", pub.subtitle or ""), ("edition", pub.edition or "")]
    if pub.foreword:
        printed.append(("foreword.title", pub.foreword.title))
    for name, text in printed + [(n, t or "") for n, t in texts]:
        for word in project.cache.long_words(text)[:1]:
            project.problems.append(
                Problem(
                    pub.path,
                    f"has a word of {len(word)} characters ('{abbreviate(word, 30)}'), too long to set "
                    f"(katern allows {MAX_WORD}, web addresses {MAX_ADDRESS}). Is a space missing?",
                    name,
                )
            )


def _seed_problem(project: Project, seed: str) -> str | None:
    """Say what is wrong with a source's seed: it must name a file in seeds/, nothing else."""
    if is_url(seed) or re.search(r"[/\\]", seed) or seed.strip(".") == "":
        return (
            f"seed '{abbreviate(seed)}' must be the name of a file in seeds/, not a path or an address. "
            "Write only the file name, for example vws-van-nul-tot-later-2017.txt."
        )
    if not (project.seeds_dir / seed).is_file():
        names = [p.name for p in project.seeds_dir.glob("*")] if project.seeds_dir.is_dir() else []
        return f"seed '{abbreviate(seed)}' is not in seeds/.{did_you_mean(seed, names)}"
    try:
        project.resolver.reference(seed, project.seeds_dir, within=project.seeds_dir, kind="seed")
    except RefusedPath as exc:
        return f"seed '{abbreviate(seed)}' cannot be used: {exc.message}"
    return None


def image_problem(resolver: Resolver, base: Path, src: str) -> str | None:
    """Say what is wrong with an image reference (outside the project, remote, missing, not an image), or None."""
    try:
        path = resolver.reference(src, base, kind="image")
    except RefusedPath as exc:
        return exc.message
    return not_an_image(path)


def _check_factor_links(project: Project) -> None:
    """Check that every municipality a factor names is in the table and has a story that shows it."""
    path = project.content_dir / "factors.yaml"
    for factor in project.factors:
        for m in factor.municipalities or ():
            if m not in project.municipalities:
                project.problems.append(
                    Problem(
                        path,
                        f"factor '{factor.id}' names unknown municipality '{shorten(m)}'."
                        f"{did_you_mean(m, project.municipalities)}",
                        "municipalities",
                    )
                )
                continue
            shown = any(factor.id in r.factors and m in r.municipalities for r in project.records.values())
            if not shown:
                project.problems.append(
                    Problem(
                        path,
                        f"factor '{factor.id}' names {m}, but no record in {m} lists it under 'factors'. "
                        f"Add '{factor.id}' to the factors of the {m} story.",
                        "municipalities",
                        severity="warning",
                    )
                )
