"""The `katern` command: parse options, set up logging, call the library."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import click
from click.core import ParameterSource

from katern import __version__
from katern.errors import BuildError, ValidationFailed
from katern.importers import import_seed
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
@click.option(
    "--readability",
    is_flag=True,
    help="Also report, per record, sentences and words that are long for language level B1 and a "
    "Flesch-Douma score. Advice: these warnings never make check fail, also not with --strict.",
)
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def check(
    options: GlobalOptions, strict: bool, pdfs: tuple[Path, ...], readability: bool, files: tuple[Path, ...]
) -> None:
    """Validate the project's content; with --pdf FILE..., report on the accessibility of PDFs."""
    if pdfs or files:
        if readability:
            raise click.UsageError("--readability reads the records, not PDFs: give it without --pdf and files.")
        _check_pdfs([*pdfs, *files])
        return
    project = load_project(options.root())
    _report(project, strict)
    readable = None
    if readability:
        from katern.readability import analyse_project  # imports textstat: only when asked for

        readable = analyse_project(project)
        for problem in readable.problems:
            click.echo(str(problem), err=True)
        click.echo(readable.summary(), err=bool(readable.problems))
    try:
        # Readability findings are not among project.problems: --strict does not make them fatal.
        project.raise_for_problems(strict)
    except ValidationFailed as exc:
        raise click.exceptions.Exit(1) from exc
    if readable is not None and readable.errors:  # a publication with `readability: strict`
        raise click.exceptions.Exit(1)


def _check_pdfs(paths: list[Path]) -> None:
    """Check each PDF with both validators and katern's own checks; exit 1 unless every one passes."""
    from katern.a11y_report import format_text  # imports the validators: only when checking PDFs
    from katern.errors import KaternError
    from katern.validators import verify_pdf

    options = click.get_current_context().find_object(GlobalOptions)
    verbose = bool(options and options.verbose)
    checked = passed = print_only = 0
    for path in paths:
        try:
            result = verify_pdf(path)
        except KaternError as exc:  # missing, damaged, not a PDF: a clear line, never a traceback
            checked += 1
            click.echo(f"{path}: FAIL: {exc.message}")
            continue
        if result.print_only:
            print_only += 1
            source = path.with_name(path.name.removesuffix("-booklet.pdf") + ".pdf")
            hint = f" ({source})" if path.name.endswith("-booklet.pdf") and source.is_file() else ""
            click.echo(
                f"{path}: print-only booklet: not meant to be read on screen; check the source PDF instead{hint}"
            )
            continue
        checked += 1
        passed += result.passed
        for line in format_text(result, verbose=verbose):
            click.echo(line)
    summary = [f"{passed} of {checked} PDF(s) pass the accessibility check"] if checked else []
    if print_only:
        summary.append(f"{print_only} print-only booklet(s) not checked")
    click.echo("; ".join(summary))
    if passed < checked:
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
    import shutil

    from katern.models import PROVINCES, REGIONS
    from katern.query import normalise_province
    from katern.schema import did_you_mean, shorten

    project = load_project(options.root())

    places = {*project.municipalities, *(r.place for r in project.records.values() if r.place)}
    places |= {m for r in project.records.values() for m in r.municipalities}
    lowered = [p.lower() for p in places]
    # (what, the values given, whether a value is known, the known values, what to do when none is close)
    checks = [
        ("province", province, lambda v: normalise_province(v) in PROVINCES, PROVINCES, "The provinces are: "),
        ("region", region, lambda v: v in REGIONS, REGIONS, "The regions are: "),
        (
            "theme",
            theme,
            lambda v: not project.themes or v in project.themes,  # an unreadable themes.yaml: check says so
            project.themes,
            "Theme ids are listed in content/themes.yaml.",
        ),
        (
            "place",
            place,
            lambda v: any(v.strip().lower() in name for name in lowered),
            sorted(places),
            "Use a municipality from content/municipalities.csv or (part of) a record's place.",
        ),
    ]
    mistakes = []
    for what, values, known, choices, hint in checks:
        for value in values:
            if not known(value):
                advice = f"{hint}{', '.join(choices)}." if hint.endswith(": ") else hint
                mistakes.append(f"no {what} '{shorten(value)}'.{did_you_mean(value, choices) or ' ' + advice}")
    if mistakes:
        for mistake in mistakes:
            log.error("%s", mistake)
        raise click.exceptions.Exit(1)
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
        selected = {name: {r.slug for r in pub.records} for name, pub in sorted(project.publications.items())}
        data = [
            {**r.summary(), "publications": [name for name, slugs in selected.items() if r.slug in slugs]}
            for r in records
        ]
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    rows = [
        (r.date.isoformat() if r.date else "?", r.kind, r.place or "", r.province or "", r.title, r.slug)
        for r in records
    ]
    headers = ("date", "kind", "place", "province", "title", "slug")
    # Date, kind and slug are never cut (a slug is what goes into a publication's records:); to fit the
    # terminal, the title is cut first, then the place, then the province, each down to a minimum width.
    widths = [max([len(h), *(len(row[i]) for row in rows)]) for i, h in enumerate(headers)]
    over = sum(widths) + 2 * (len(widths) - 1) - shutil.get_terminal_size(fallback=(120, 24)).columns
    for column, minimum in ((4, 20), (2, 12), (3, 10)):
        cut = max(0, min(over, widths[column] - max(minimum, len(headers[column]))))
        widths[column] -= cut
        over -= cut
    click.echo("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
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
    from katern.errors import ConfigError, Problem
    from katern.project import project_resolver
    from katern.tables import load_municipalities, load_themes

    try:
        root: Path | None = options.root()
    except ConfigError:
        if into is None:
            raise
        root = None  # --into a folder, and no project here: no seeds/ to copy to, no tables
    tables: dict = {}
    if root is None:
        log.warning(
            "no katern project here: %s is not copied into seeds/, and the drafts get no municipalities, "
            "province or themes. Pass --project DIR to import into a project.",
            seed_file,
        )
    else:
        problems: list[Problem] = []
        resolver = project_resolver(root)
        content = root / "content"
        tables = {
            "seeds_dir": root / "seeds",
            "municipalities": load_municipalities(content / "municipalities.csv", problems, resolver),
            "themes": load_themes(content / "themes.yaml", problems, resolver),
        }
        for problem in problems:
            log.warning("%s (so the drafts may lack municipalities, province or themes)", problem)
        into = into or content / "records"
    report = import_seed(seed_file, into, force=force, **tables)
    if report.seed_copied:
        click.echo(f"copied {seed_file} to {report.seed}")
    elif report.seed is not None and report.seed.resolve() != seed_file.resolve():
        click.echo(f"{report.seed} holds the same text; the drafts refer to it")
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
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Build N publications at once, in worker processes. Default: the number of cores (at most one per "
    "publication to build). --jobs 1 builds them one by one in this process.",
)
@click.option(
    "--shard",
    default=None,
    metavar="K/N",
    help="Build only the K-th of N shares of the publications (by sorted name), to spread a build over "
    "machines: run 1/N to N/N.",
)
@click.option("--force", is_flag=True, help="Rebuild every output, also those that are up to date.")
@click.pass_obj
def build(
    options: GlobalOptions,
    names: tuple[str, ...],
    formats: tuple[str, ...],
    out_dir: Path | None,
    booklet: bool,
    press: bool,
    strict: bool,
    jobs: int | None,
    shard: str | None,
    force: bool,
) -> None:
    """Build publications (all of them when no NAMES are given) into build/.

    Outputs whose inputs did not change since the last build are not rebuilt (see build/.katern-manifest.json).
    """
    # katern.build imports WeasyPrint only when it produces something: a build with nothing to do stays fast.
    from katern.build import build as build_publications
    from katern.build import parse_shard
    from katern.progress import ConsoleProgress

    share = None
    if shard is not None:
        try:
            share = parse_shard(shard)
        except BuildError as exc:
            raise click.BadParameter(exc.message, param_hint="'--shard'") from None
    project = load_project(options.root())
    for problem in project.warnings if strict else []:
        log.warning("%s", problem)
    extras = (*(["booklet"] if booklet else []), *(["press"] if press else []))
    progress = ConsoleProgress(log)
    try:
        results = build_publications(
            project,
            list(names),
            formats or None,
            out_dir,
            strict,
            extras,
            jobs=jobs,
            shard=share,
            force=force,
            progress=progress,
        )
    finally:
        progress.close()
    progress.close(results)
    failed = results.tally("failed")
    if failed:
        raise BuildError(f"{failed} of {len(results)} publication(s) failed; see the errors above.")


# --- starting a project; new records and publications ----------------------------------------------


class _InitCommand(KaternCommand):
    """`katern init DIR`: the new project's folder is the argument, so --project (an existing project) is refused."""

    def invoke(self, ctx: click.Context):
        outer = ctx.find_object(GlobalOptions)
        if ctx.params.get("project_dir") is not None or (outer is not None and outer.project_dir is not None):
            raise click.UsageError(
                "katern init makes a new project: give its folder as the argument ('katern init DIR'), "
                "not with --project.",
                ctx,
            )
        return super().invoke(ctx)


class _CommandGroup(KaternCommand, click.Group):
    """A group of subcommands (`katern new ...`) that, like every katern command, takes --project, -v and -q."""

    command_class = KaternCommand


@cli.command(cls=_InitCommand)
@click.argument("directory", metavar="[DIR]", required=False, default=".", type=click.Path(path_type=Path))
def init(directory: Path) -> None:
    """Start a new project in DIR (default: the current folder) with an example record and publication.

    DIR may exist, but must not hold a content/ folder yet. Give the folder as DIR, not with --project.
    """
    from katern.scaffold import EXAMPLE_PUBLICATION, init_project

    written = init_project(directory)
    here = directory.resolve() == Path.cwd().resolve()
    click.echo(f"Created a katern project in {directory.resolve()}:")
    for path in written:
        click.echo(f"  {path.relative_to(directory).as_posix()}")
    click.echo("Next steps:")
    if not here:
        import shlex

        click.echo(f"  cd {shlex.quote(str(directory))}")
    click.echo("  katern check        checks the records and publications")
    click.echo(f"  katern build        writes build/{EXAMPLE_PUBLICATION}.pdf and build/{EXAMPLE_PUBLICATION}.html")
    click.echo('  katern new record --place Zwolle --title "..."   starts your own story')
    click.echo("GUIDE.md says what is where.")


@cli.command(cls=_CommandGroup)
def new() -> None:
    """Write a new record or publication, with a comment on every field."""


@new.command(name="record")
@click.option("--place", required=True, help="The place as printed, e.g. Zwolle. A municipality fills in the province.")
@click.option("--title", required=True, help="The headline of the story.")
@click.option(
    "--kind", type=click.Choice(KINDS), default="praktijkverhaal", show_default=True, help="What sort of item it is."
)
@click.option(
    "--municipality",
    "municipalities",
    multiple=True,
    help="A municipality the story is about, when the place is not one itself (repeatable).",
)
@click.option(
    "--date",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    metavar="YYYY-MM-DD",
    help="The date of the source. Default: today.",
)
@click.pass_obj
def new_record(
    options: GlobalOptions, place: str, title: str, kind: str, municipalities: tuple[str, ...], date
) -> None:
    """Write a draft record content/records/<place>-<title>.md to fill in."""
    from katern.scaffold import new_record as write_record

    path = write_record(options.root(), place, title, kind, date.date() if date else None, municipalities)
    click.echo(f"wrote {path}")
    click.echo(
        "It is a draft: write the story, fill in themes, factors and sources, then remove 'draft: true'. "
        "'katern check' says what is left."
    )


@new.command(name="publication")
@click.argument("name")
@click.option(
    "--layout",
    type=click.Choice(["brochure", "newsletter", "handout"]),
    default="brochure",
    show_default=True,
    help="The kind of publication.",
)
@click.option("--title", default=None, help="The title on the cover. Default: made from NAME.")
@click.option(
    "--date",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    metavar="YYYY-MM-DD",
    help="The date of the edition. Default: today.",
)
@click.pass_obj
def new_publication(options: GlobalOptions, name: str, layout: str, title: str | None, date) -> None:
    """Write content/publications/NAME.yaml, a publication of existing records to edit."""
    from katern.scaffold import new_publication as write_publication

    path = write_publication(options.root(), name, layout, title, date.date() if date else None)
    click.echo(f"wrote {path}")
    click.echo(f"Edit it, then run 'katern check' and 'katern build {name}'.")


# --- live preview -----------------------------------------------------------------------------------


@cli.command()
@click.argument("names", nargs=-1)
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=None,
    help="The port to serve on (127.0.0.1 only). Default: 8000, or the first free one after it.",
)
@click.option("--no-browser", is_flag=True, help="Do not open the preview in a web browser.")
@click.pass_obj
def serve(options: GlobalOptions, names: tuple[str, ...], port: int | None, no_browser: bool) -> None:
    """Rebuild publications (all, or NAMES) as you edit them, and preview them in a browser.

    Serves on http://127.0.0.1:8000/ until you press Ctrl-C.
    """
    import contextlib
    import sys
    import webbrowser

    from katern.serve import DEFAULT_PORT, Preview  # imports WeasyPrint and watchfiles: only when serving

    preview = Preview(options.root(), list(names), port=port or DEFAULT_PORT, port_fallback=port is None)
    try:
        url = preview.start()
        click.echo(f"Serving the preview at {url} (press Ctrl-C to stop)")
        if not no_browser and sys.stdout.isatty():
            webbrowser.open(url)
        preview.wait()
    except KeyboardInterrupt:
        pass
    finally:
        with contextlib.suppress(KeyboardInterrupt):
            preview.stop()
    click.echo("Stopped.")


def main() -> None:
    """Run the command line interface."""
    cli(prog_name="katern")
