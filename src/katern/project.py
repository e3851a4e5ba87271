"""A katern project: find its folders, load all content, and validate cross references."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from katern.errors import ConfigError, Problem, ValidationFailed
from katern.models import PROVINCES, Factor, Record
from katern.publications import Publication, load_publications, resolve_records
from katern.query import normalise_province
from katern.records import load_records
from katern.schema import did_you_mean
from katern.tables import load_factors, load_municipalities, load_themes

log = logging.getLogger(__name__)

BODY_IMAGE_RE = re.compile(r"!\[([^\]]*)\]\(\s*<?([^)\s>]+)>?[^)]*\)")
REMOTE_RE = re.compile(r"^([a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)


@dataclass
class Project:
    root: Path
    records: dict[str, Record] = field(default_factory=dict)
    factors: list[Factor] = field(default_factory=list)
    themes: dict[str, str] = field(default_factory=dict)
    municipalities: dict[str, str] = field(default_factory=dict)
    publications: dict[str, Publication] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

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


def find_root(start: Path) -> Path:
    """Return the project folder: `start` or the nearest parent holding a `content/` folder."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / "content").is_dir():
            return folder
    raise ConfigError(
        f"no katern project here: neither {start} nor a folder above it has a 'content' folder. "
        "Run katern inside your project, or pass --project DIR.",
        path=start,
    )


def load_project(root: Path | str = ".") -> Project:
    """Discover, parse and cross-check everything in the project; problems are collected, not raised."""
    project = Project(root=find_root(Path(root)))
    problems = project.problems
    project.municipalities = load_municipalities(project.content_dir / "municipalities.csv", problems)
    project.themes = load_themes(project.content_dir / "themes.yaml", problems)
    project.factors = load_factors(project.content_dir / "factors.yaml", problems)
    records = load_records(project.records_dir, problems)
    for record in records:
        if record.slug in project.records:
            other = project.records[record.slug].path
            problems.append(
                Problem(
                    record.path,
                    f"duplicate slug '{record.slug}': {other} has the same file name. Rename one.",
                )
            )
        else:
            project.records[record.slug] = record
    for record in project.records.values():
        _check_record(project, record)
    _check_factor_links(project)
    for pub in load_publications(project.content_dir / "publications", problems):
        resolve_records(pub, project.records, project.themes, problems)
        project.publications[pub.name] = pub
    log.debug(
        "loaded %d records, %d publications",
        len(project.records),
        len(project.publications),
    )
    return project


def _check_record(project: Project, record: Record) -> None:
    add = project.problems.append
    path = record.path
    table = project.municipalities
    provinces = set()
    for m in record.municipalities:
        if m not in table:
            add(
                Problem(
                    path,
                    f"unknown municipality '{m}'.{did_you_mean(m, table)} "
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
                    f"unknown province '{record.province}'.{did_you_mean(record.province, PROVINCES)}",
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
    for t in record.themes:
        if t not in project.themes:
            add(
                Problem(
                    path,
                    f"unknown theme '{t}'.{did_you_mean(t, project.themes)} Themes are listed in content/themes.yaml.",
                    "themes",
                )
            )
    for fid in record.factors:
        factor = project.factor(fid)
        if factor is None:
            ids = [f.id for f in project.factors]
            add(
                Problem(
                    path,
                    f"unknown factor '{fid}'.{did_you_mean(fid, ids)} Factors are in content/factors.yaml.",
                    "factors",
                )
            )
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
        if source.seed and not (project.seeds_dir / source.seed).is_file():
            names = [p.name for p in project.seeds_dir.glob("*")] if project.seeds_dir.is_dir() else []
            add(
                Problem(
                    path,
                    f"seed '{source.seed}' is not in seeds/.{did_you_mean(source.seed, names)}",
                    f"sources[{i}].seed",
                )
            )
    for i, image in enumerate(record.images, 1):
        problem = resource_problem(project.root, path.parent, image.src)
        if problem:
            add(Problem(path, problem, f"images[{i}].src"))
    for alt, src in BODY_IMAGE_RE.findall(record.body):
        if not alt.strip():
            add(
                Problem(
                    path,
                    f"the image '{src}' in the body has no alt text. Write ![what the image shows]({src}).",
                    "body",
                )
            )
        problem = resource_problem(project.root, path.parent, src)
        if problem:
            add(Problem(path, problem, "body"))
    if record.draft:
        add(
            Problem(
                path,
                "is a draft from 'katern import'. Curate it, then remove 'draft: true'.",
                "draft",
                severity="warning",
            )
        )


def resource_problem(root: Path, base: Path, src: str) -> str | None:
    """Say what is wrong with a file reference that must stay inside the project, or None."""
    if REMOTE_RE.match(src) and not re.match(r"^[A-Za-z]:[\\/]", src):
        return (
            f"'{src}' is a network address. katern only uses files inside the project: "
            "download the file into the project (for example images/) and refer to it there."
        )
    target = (base / src).resolve() if not Path(src).is_absolute() else Path(src).resolve()
    if not target.is_relative_to(root.resolve()):
        return (
            f"'{src}' lies outside the project ({root}). Copy the file into the project "
            "(for example images/) and refer to it there."
        )
    if not target.is_file():
        return f"'{src}' does not exist (looked for {target}). Check the file name."
    return None


def _check_factor_links(project: Project) -> None:
    """Check that every municipality a factor names is in the table and has a story that shows it."""
    path = project.content_dir / "factors.yaml"
    for factor in project.factors:
        for m in factor.municipalities or ():
            if m not in project.municipalities:
                project.problems.append(
                    Problem(
                        path,
                        f"factor '{factor.id}' names unknown municipality '{m}'."
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
