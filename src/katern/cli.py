"""The `katern` command: parse options, set up logging, call the library."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import click
from click.core import ParameterSource

from katern import __version__
from katern.accessibility import check_pdf, failed
from katern.errors import BuildError, ValidationFailed
from katern.importer import import_seed
from katern.models import KINDS
from katern.project import Project, find_root, load_project
from katern.query import SORT_KEYS, Query, select

log = logging.getLogger("katern")


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        text = record.getMessage()
        if record.levelno >= logging.ERROR:
            return f"error: {text}"
        if record.levelno >= logging.WARNING:
            return f"warning: {text}"
        return text


def _setup_logging(verbose: int, quiet: bool) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(_Formatter())
    root = logging.getLogger("katern")
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO)
    root.propagate = False


@dataclass
class GlobalOptions:
    """`--project`, `-v` and `-q`: given before the subcommand, after it, or both (after wins)."""

    project_dir: Path | None = None
    verbose: int = 0
    quiet: bool = False
    _root: Path | None = field(default=None, init=False, repr=False)

    def root(self) -> Path:
        """The project folder: `--project DIR` exactly, or else the current folder or the nearest parent."""
        if self._root is None:
            if self.project_dir is None:
                self._root = find_root(Path.cwd(), search_parents=True)
            else:
                self._root = find_root(self.project_dir, search_parents=False)
        return self._root


GLOBAL_NAMES = ("project_dir", "verbose", "quiet")


def _global_options() -> list[click.Parameter]:
    """Fresh `--project`, `-v` and `-q` options, for the group and for every subcommand."""
    return [
        click.Option(
            ["--project", "project_dir"],
            type=click.Path(path_type=Path),
            default=None,
            metavar="DIR",
            help="The project folder (the one holding content/). Default: the current folder or a parent.",
        ),
        click.Option(["-v", "--verbose"], count=True, help="Say more about what katern does."),
        click.Option(["-q", "--quiet"], is_flag=True, help="Only print warnings and errors."),
    ]


class KaternCommand(click.Command):
    """A subcommand that also takes the global options; its values win over the group's."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.params.extend(_global_options())

    def invoke(self, ctx: click.Context):
        local = {name: ctx.params.pop(name) for name in GLOBAL_NAMES}
        given = {name for name in GLOBAL_NAMES if ctx.get_parameter_source(name) not in (None, ParameterSource.DEFAULT)}
        outer = ctx.find_object(GlobalOptions) or GlobalOptions()
        options = GlobalOptions(
            project_dir=local["project_dir"] if "project_dir" in given else outer.project_dir,
            # -v and -q set one thing, the level: the subcommand's, if it gives either, wins.
            verbose=local["verbose"] if given & {"verbose", "quiet"} else outer.verbose,
            quiet=local["quiet"] if given & {"verbose", "quiet"} else outer.quiet,
        )
        ctx.obj = options
        _setup_logging(options.verbose, options.quiet)
        if options.project_dir is not None:
            options.root()  # an explicit --project must be a project, whatever the command
        return super().invoke(ctx)


class KaternGroup(click.Group):
    """The `katern` group: takes the global options itself, and every subcommand is a KaternCommand."""

    command_class = KaternCommand

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.params.extend(_global_options())

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        if not isinstance(cmd, KaternCommand):
            raise TypeError(
                f"katern command {name or cmd.name!r} must be a KaternCommand "
                "(register it with @cli.command()) so that it takes --project, -v and -q."
            )
        super().add_command(cmd, name)


@click.group(cls=KaternGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="katern")
@click.pass_context
def cli(ctx: click.Context, project_dir: Path | None, verbose: int, quiet: bool) -> None:
    """katern: turn curated records of local initiatives into brochures, handouts and booklets."""
    # Logging is set up by the subcommand (KaternCommand.invoke), once both positions are known.
    ctx.obj = GlobalOptions(project_dir, verbose, quiet)


def _report(project: Project, strict: bool) -> None:
    for problem in project.problems:
        click.echo(str(problem), err=True)
    errors, warnings = len(project.errors), len(project.warnings)
    summary = (
        f"{len(project.records)} records, {len(project.factors)} factors, "
        f"{len(project.publications)} publications: {errors} error(s), {warnings} warning(s)"
    )
    click.echo(summary, err=bool(errors or warnings))


@cli.command()
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option(
    "--pdf",
    "pdfs",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Check these PDFs against the machine-checkable PDF/UA points instead (repeatable).",
)
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def check(options: GlobalOptions, strict: bool, pdfs: tuple[Path, ...], files: tuple[Path, ...]) -> None:
    """Validate the project's content; with --pdf FILE..., report on the accessibility of PDFs."""
    if pdfs or files:
        _check_pdfs([*pdfs, *files])
        return
    project = load_project(options.root())
    _report(project, strict)
    try:
        project.raise_for_problems(strict)
    except ValidationFailed as exc:
        raise click.exceptions.Exit(1) from exc


def _check_pdfs(paths: list[Path]) -> None:
    bad = 0
    for path in paths:
        checks = check_pdf(path)
        failures = failed(checks)
        bad += bool(failures)
        click.echo(f"{path}: {'FAIL' if failures else 'ok'}")
        for c in checks:
            click.echo(f"  [{'x' if c.passed else ' '}] {c.name}: {c.detail}")
    click.echo(f"{len(paths) - bad} of {len(paths)} PDF(s) pass the accessibility check")
    if bad:
        raise click.exceptions.Exit(1)


@cli.command(name="list")
@click.option("--province", multiple=True, help="Only records in this province (repeatable).")
@click.option("--region", multiple=True, help="Only records in this region, e.g. Noord-Nederland.")
@click.option("--theme", multiple=True, help="Only records with this theme id (repeatable).")
@click.option("--kind", multiple=True, type=click.Choice(KINDS), help="Only records of this kind.")
@click.option("--place", multiple=True, help="Only records about this place or municipality.")
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), help="Only records dated on or after.")
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), help="Only records dated on or before.")
@click.option("--sort", type=click.Choice(SORT_KEYS), default="date", show_default=True)
@click.option("--drafts", is_flag=True, help="Include draft records.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_obj
def list_(
    options: GlobalOptions, province, region, theme, kind, place, date_from, date_to, sort, drafts, as_json
) -> None:
    """Show the records that match a query (the same query publications use)."""
    project = load_project(options.root())
    for problem in project.errors:
        log.warning("%s", problem)
    query = Query.build(
        province=province,
        region=region,
        theme=theme,
        kind=kind,
        place=place,
        date_from=date_from.date() if date_from else None,
        date_to=date_to.date() if date_to else None,
        include_drafts=drafts,
        sort=sort,
    )
    records = select(project.records.values(), query)
    undecided = [r for r in [*project.records.values(), *project.shadowed] if query.decide(r) is None]
    if undecided:
        log.warning(
            "%d record(s) with errors may match but are not listed: %s. Run 'katern check' and fix them.",
            len(undecided),
            ", ".join(str(r.path) for r in undecided[:5]) + (" and more" if len(undecided) > 5 else ""),
        )
    if as_json:
        click.echo(json.dumps([r.summary() for r in records], ensure_ascii=False, indent=2))
        return
    rows = [
        (r.date.isoformat() if r.date else "?", r.kind, r.place or "", r.province or "", r.title, r.slug)
        for r in records
    ]
    headers = ("date", "kind", "place", "province", "title", "slug")
    widths = [min(max([len(h), *(len(row[i]) for row in rows)]), 44) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    click.echo(line.rstrip())
    for row in rows:
        cells = [c if len(c) <= w else c[: w - 1] + "…" for c, w in zip(row, widths, strict=True)]
        click.echo("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())
    click.echo(f"{len(records)} record(s)")


@cli.command(name="import")
@click.argument("seed_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--into",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to write the draft records to. Default: content/records of the project.",
)
@click.option("--force", is_flag=True, help="Overwrite records that already exist.")
@click.pass_obj
def import_(options: GlobalOptions, seed_file: Path, into: Path | None, force: bool) -> None:
    """Turn a text export (brochure, newsletter, web articles) into draft records."""
    if into is None:
        into = options.root() / "content" / "records"
    report = import_seed(seed_file, into, force=force)
    for path in report.written:
        click.echo(f"wrote {path}")
    for path in report.skipped:
        click.echo(f"skipped {path}: it exists (use --force to overwrite)", err=True)
    for line, text in report.unplaced:
        click.echo(f"{seed_file}:{line}: could not place: {text[:100]}", err=True)
    click.echo(
        f"{report.format}: {len(report.written)} written, {len(report.skipped)} skipped, "
        f"{len(report.unplaced)} line(s) not placed"
    )


@cli.command()
@click.argument("names", nargs=-1)
@click.option(
    "--format",
    "formats",
    type=click.Choice(["pdf", "html"]),
    multiple=True,
    help="Only build this format (repeatable). Default: the publication's outputs.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to write to. Default: build/ in the project.",
)
@click.option("--booklet", is_flag=True, help="Also write <name>-booklet.pdf: A5 pages imposed two-up on A4 sheets.")
@click.option("--press", is_flag=True, help="Also write <name>-press.pdf for a print shop: 3 mm bleed, crop marks.")
@click.option("--strict", is_flag=True, help="Fail a publication on any warning (fit, WeasyPrint).")
@click.pass_obj
def build(
    options: GlobalOptions,
    names: tuple[str, ...],
    formats: tuple[str, ...],
    out_dir: Path | None,
    booklet: bool,
    press: bool,
    strict: bool,
) -> None:
    """Build publications (all of them when no NAMES are given) into build/."""
    from katern.build import build as build_publications  # imports WeasyPrint: only when building

    project = load_project(options.root())
    for problem in project.warnings if strict else []:
        log.warning("%s", problem)
    extras = (*(["booklet"] if booklet else []), *(["press"] if press else []))
    results = build_publications(project, list(names), formats or None, out_dir, strict, extras)
    failed = 0
    for result in results:
        if not result.ok:
            failed += 1
            log.error("%s failed: %s", result.name, result.error)
            continue
        parts = []
        for out in result.outputs:
            pages = f", {out.pages} pages" if out.pages is not None else ""
            parts.append(f"{out.path} ({out.size / 1024:.0f} KiB{pages})")
        log.info("%s: %s in %.1f s", result.name, "; ".join(parts), result.seconds)
        for note in result.notes:
            log.info("%s", note)
    if failed:
        raise BuildError(f"{failed} of {len(results)} publication(s) failed; see the errors above.")


def main() -> None:
    """Run the command line interface."""
    cli(prog_name="katern")
