"""Benchmark katern against the targets of issue 10, and print each figure as a ratio measured in this run.

    .venv/bin/python bench/bench.py [--quick] [--only SECTION[,SECTION...]] [--keep]

Sections (each prints its own table; one that fails prints its error and the others still run):

  overhead  per publication, katern's PDF build in a fresh process over raw WeasyPrint on the same
            final HTML in a fresh process, split into start-up, imports, fonts and layout
  jobs      `katern build` of all shipped publications with the default --jobs over --jobs 1 (cold)
  noop      a second `katern build` into the same folder, nothing changed
  edit      one word changed in one story: `katern build`, and `katern serve` when it exists
  scale     `check` and `build` on a generated project of up to 1,000 records (bench/generate.py):
            time and peak memory against size, and the growth exponent

The closing summary lists the targets of the issue with PASS or FAIL; they live here, not in the tests.
Everything runs on copies of the project in a temporary folder, never in the project's own build/;
every child process is this Python (sys.executable), so run the bench with the project's venv.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
SECTIONS = ("overhead", "jobs", "noop", "edit", "scale")
KATERN = "import sys; sys.argv[0] = 'katern'; from katern.cli import main; main()"
MIB = 1024 * 1024
GB = 1_000_000_000


@dataclasses.dataclass
class Profile:
    """What a run measures: the full run, or the smaller sizes of --quick."""

    publications: list[str] | None  # None: every shipped publication
    edit_target: str  # the publication whose story the edit section changes
    check_sizes: tuple[int, ...]
    build_sizes: tuple[int, ...]
    timeout: float


FULL = Profile(None, "van-nul-tot-later", (125, 250, 500, 1000), (10, 20, 40), 1800)
QUICK = Profile(
    ["werkende-factoren", "integraal-werken-noord"], "integraal-werken-noord", (50, 100, 200), (3, 6, 12), 900
)


# --- targets -------------------------------------------------------------------------------------


@dataclasses.dataclass
class Target:
    text: str
    limit: str
    measured: str = "not measured"
    passed: bool | None = None  # None: not measured or not available


TARGETS = {
    "overhead": Target("katern PDF build over raw WeasyPrint, same HTML, fresh processes", "<= 1.05"),
    "jobs": Target("all shipped publications, --jobs default (2 cores) over --jobs 1", "<= 0.60"),
    "noop": Target("no-change rebuild", "<= 1 s"),
    "edit-build": Target("one-word edit: katern build rebuilds only the publications using the record", "exactly"),
    "serve-pdf": Target("one-word edit in katern serve: brochure PDF refreshed, over its cold build", "<= 0.25"),
    "serve-html": Target("one-word edit in katern serve: HTML preview refreshed", "<= 0.3 s"),
    "check": Target("1,000 records: katern check, second run", "<= 2 s"),
    "exponent": Target("1,000-record project: build time against pages, growth exponent", "<= 1.1"),
    "memory": Target("1,000-record project: peak memory of any one process (check, build)", "<= 1.5 GB"),
}


def settle(key: str, measured: str, passed: bool | None) -> None:
    TARGETS[key].measured, TARGETS[key].passed = measured, passed


# --- running children ----------------------------------------------------------------------------


@dataclasses.dataclass
class Run:
    wall: float
    rc: int
    rss_mib: float  # peak resident memory of the child, or of its largest waited-for descendant
    stdout: str
    stderr: str

    def tail(self, lines: int = 3) -> str:
        """The gist of a failure: its error lines (or the last lines), shortened."""
        text = (self.stderr.strip() or self.stdout.strip()).splitlines()
        errors = [t for t in text if re.search(r"error|failed|Traceback|Exception", t, re.I)]
        shown = [t if len(t) <= 400 else t[:400] + "…" for t in (errors[-lines:] if errors else text[-lines:])]
        if errors and text and text[-1] not in shown:
            shown.append(text[-1])
        return " | ".join(shown) if shown else f"exit code {self.rc}"


def child_env(cache: Path | None = None) -> dict[str, str]:
    """The environment of a child: ours, with a cache folder of its own when given (a cold cache)."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env["COLUMNS"] = "120"
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        env["XDG_CACHE_HOME"] = str(cache)
    return env


def run(cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 1800) -> Run:
    """Run `cmd`, wait for it with wait4 (its own peak memory) and return wall time, exit code and output."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env or child_env(), cwd=cwd or tempfile.gettempdir())
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(wall, proc.returncode, usage.ru_maxrss / 1024, out.read(), err.read())


def katern(*args: str, cache: Path | None = None, timeout: float = 1800) -> Run:
    """Run the katern command line in a child process of this Python."""
    return run([PY, "-c", KATERN, *args], env=child_env(cache), timeout=timeout)


def failures(result: Run) -> list[str]:
    """The publications a `katern build` says failed."""
    return sorted(set(re.findall(r"error: (\S+) failed:", result.stderr + result.stdout)))


def copy_project(dest: Path) -> Path:
    """Copy the shipped project's content and seeds (the layouts and styles are katern's built-in ones)."""
    dest.mkdir(parents=True)
    for part in ("content", "seeds"):
        shutil.copytree(ROOT / part, dest / part)
    return dest


def snapshot(folder: Path) -> dict[str, tuple[int, int, int]]:
    """Return (inode, mtime, size) of every output file in `folder`; hidden files (manifest, temps) are left out."""
    if not folder.is_dir():
        return {}
    return {
        str(p.relative_to(folder)): (p.stat().st_ino, p.stat().st_mtime_ns, p.stat().st_size)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    }


def digests(folder: Path) -> dict[str, str]:
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in snapshot(folder)}


def owner(file_name: str, names: list[str]) -> str:
    """Return the publication an output file belongs to (the longest name it starts with)."""
    stem = file_name.split("/")[-1]
    matches = [n for n in names if stem == n or stem.startswith(n + ".") or stem.startswith(n + "-")]
    return max(matches, key=len) if matches else stem


def help_text(*command: str) -> str | None:
    """Return `katern COMMAND --help`, or None when katern has no such command."""
    result = katern(*command, "--help", timeout=120)
    return result.stdout if result.rc == 0 else None


def slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of log(y) against log(x): the growth exponent."""
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / sum((a - mx) ** 2 for a in lx)


def linear_fit(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """Least-squares a, b of y = a + b x."""
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)
    return my - b * mx, b


def table(headers: list[str], rows: list[list], title: str | None = None) -> None:
    """Print a table: text left-aligned, numbers right-aligned."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    numeric = [all(isinstance(r[i], int | float) or r[i] in (None, "") for r in rows) for i in range(len(headers))]
    if title:
        print(title)

    def line(values: list[str]) -> str:
        return "  ".join(v.rjust(w) if n else v.ljust(w) for v, w, n in zip(values, widths, numeric, strict=True))

    print(line(headers).rstrip())
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print(line(row).rstrip())


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


def progress(message: str) -> None:
    print(f"  .. {message}", file=sys.stderr, flush=True)


# --- 1. katern over raw WeasyPrint ---------------------------------------------------------------

# katern's PDF build of one publication, as `katern build NAME --format pdf` does it, in a fresh
# process. The stages are timed by wrapping katern's functions wherever katern refers to them.
KATERN_CHILD = r"""
import time
T0 = time.time()
import inspect, json, sys
from pathlib import Path
spawned, root, name, out, html_file = float(sys.argv[1]), *sys.argv[2:]
t = time.perf_counter()
import katern.cli, katern.build, katern.project, katern.render, katern.pdf
imports = time.perf_counter() - t
STAGES = [("katern.render", "render_html", "render HTML"), ("katern.pdf", "render_pdf", "layout+write"),
          ("katern.pdfua", "make_accessible", "post-process"), ("katern.validators", "verify_pdf", "gate"),
          ("katern.a11y_report", "report_for", "report"), ("katern.fsutil", "atomic_write_many", "write"),
          ("katern.imposition", "impose_booklet_data", "booklet")]
spent, calls, stack, htmls = {}, {}, [], []
def wrap(label, original):
    def timed(*args, **kwargs):
        if label == "layout+write" and args:
            htmls.append(args[0])
        stack.append(0.0)
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            took = time.perf_counter() - started
            nested = stack.pop()
            spent[label] = spent.get(label, 0.0) + took - nested
            calls[label] = calls.get(label, 0) + 1
            if stack:
                stack[-1] += took
    return timed
import importlib
for module_name, attr, label in STAGES:
    try:
        original = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError):
        continue
    wrapper = wrap(label, original)
    for module in [m for k, m in list(sys.modules.items()) if k == "katern" or k.startswith("katern.")]:
        for key, value in list(vars(module).items()):
            if value is original:
                setattr(module, key, wrapper)
t = time.perf_counter()
project = katern.project.load_project(root)
load = time.perf_counter() - t
pub = project.publications[name]
dropped = []
try:  # a PDF build: leave out the extra outputs (booklet, press) the publication asks for
    dropped = [o for o in pub.outputs if o not in ("pdf", "html")]
    pub.outputs = type(pub.outputs)(o for o in pub.outputs if o not in dropped)
except Exception:
    pass
kwargs = {"jobs": 1} if "jobs" in inspect.signature(katern.build.build).parameters else {}
t = time.perf_counter()
result = katern.build.build(project, [name], ("pdf",), Path(out), **kwargs)[0]
built = time.perf_counter() - t
done = time.time() - spawned
if not result.ok:
    raise SystemExit(f"{name} failed: {result.error}")
html = htmls[-1] if htmls else katern.render.render_html(project, pub, "print")
Path(html_file).write_text(html, encoding="utf-8")
try:
    from katern.build import allowed_roots
    roots = [str(p) for p in allowed_roots(project)]
except ImportError:
    roots = [str(p) for p in project.resolver.roots]
print(json.dumps({"startup": T0 - spawned, "import": imports, "load": load, "build": built, "done": done,
                  "stages": spent,
                  "calls": calls, "pages": result.pages, "roots": roots, "base": str(project.root),
                  "dropped": dropped, "seen_html": bool(htmls)}))
"""

# Raw WeasyPrint on the same final HTML, in a fresh process. After the cold figure it measures, in
# the same (now warm) process, a document with the same styles and fonts but an empty body (style
# sheets and @font-face fonts) and the same document again (warm layout).
RAW_CHILD = r"""
import time
T0 = time.time()
import json, re, sys
from pathlib import Path
spawned, html_file, roots_file, out = float(sys.argv[1]), *sys.argv[2:]
t = time.perf_counter()
import weasyprint
from katern.pdf import ProjectURLFetcher
imports = time.perf_counter() - t
html = Path(html_file).read_text(encoding="utf-8")
meta = json.loads(Path(roots_file).read_text(encoding="utf-8"))
roots, base = [Path(p) for p in meta["roots"]], meta["base"] + "/"
def pdf(text):
    return weasyprint.HTML(string=text, base_url=base, url_fetcher=ProjectURLFetcher(roots)).write_pdf(
        pdf_variant="pdf/ua-1", pdf_tags=True)
t = time.perf_counter()
data = pdf(html)
cold = time.perf_counter() - t
Path(out).write_bytes(data)
T1 = time.time()
empty = re.sub(r"(?is)<body\b[^>]*>.*</body>", "<body></body>", html)
t = time.perf_counter()
weasyprint.HTML(string=empty, base_url=base, url_fetcher=ProjectURLFetcher(roots)).render()
fonts = time.perf_counter() - t
t = time.perf_counter()
pdf(html)
warm = time.perf_counter() - t
print(json.dumps({"startup": T0 - spawned, "import": imports, "cold": cold, "fonts": fonts, "warm": warm,
                  "until_cold": T1 - spawned}))
"""


def fresh_child(script: str, *args: str, timeout: float) -> tuple[dict, Run]:
    """Run a child script, passing the wall-clock time it was started (for its start-up time)."""
    started = time.time()
    result = run([PY, "-c", script, repr(started), *args], timeout=timeout)
    if result.rc:
        raise RuntimeError(result.tail(1))
    return json.loads(result.stdout.strip().splitlines()[-1]), result


def publication_names(project: Path) -> list[str]:
    script = "import json, sys; from katern.project import load_project; "
    script += "print(json.dumps(sorted(load_project(sys.argv[1]).publications)))"
    result = run([PY, "-c", script, str(project)], timeout=300)
    if result.rc:
        raise RuntimeError(result.tail())
    return json.loads(result.stdout.strip().splitlines()[-1])


def section_overhead(bench: Bench) -> None:
    print("katern's PDF build and raw WeasyPrint on the same final HTML, each in a fresh process (seconds).")
    print("katern: start-up = Python start to the first line; import = katern (and WeasyPrint); load = load_project;")
    print("render = the Jinja HTML; layout+write = WeasyPrint in katern (fonts included); post-process =")
    print("katern.pdfua.make_accessible; gate = katern.validators.verify_pdf (page-validation and outloud, part")
    print("of every katern build); rest = the report, atomic writes, plan and checks; total = wall time of the")
    print("process until its PDF is written.")
    project = bench.project_copy("overhead")
    names = bench.profile.publications or publication_names(project)
    rows, raw_rows, totals = [], [], {"k": 0.0, "r": 0.0, "gate": 0.0, "kstart": 0.0, "rstart": 0.0}
    dropped_any, failed = [], []
    for name in names:
        progress(f"overhead: {name}")
        work = bench.tmp / "overhead" / name
        work.mkdir(parents=True)
        try:
            k, krun = fresh_child(
                KATERN_CHILD, str(project), name, str(work / "out"), str(work / "final.html"), timeout=bench.timeout
            )
            (work / "roots.json").write_text(json.dumps({"roots": k["roots"], "base": k["base"]}), encoding="utf-8")
            files = (str(work / "final.html"), str(work / "roots.json"), str(work / "raw.pdf"))
            r, rrun = fresh_child(RAW_CHILD, *files, timeout=bench.timeout)
        except Exception as exc:  # one publication failing does not stop the others
            failed.append(f"{name}: {exc}")
            continue
        stages = k["stages"]
        staged = sum(stages.values())
        rest = k["build"] - staged
        gate = stages.get("gate", 0.0)
        # both: wall time from the start of the process until its PDF is written (exit left out, as the
        # raw process goes on with its breakdown after that)
        raw_total, k_total = r["until_cold"], k["done"]
        dropped_any += k["dropped"]
        rows.append(
            [
                name,
                k["pages"],
                k["startup"],
                k["import"],
                k["load"],
                stages.get("render HTML", 0.0),
                stages.get("layout+write", 0.0),
                stages.get("post-process", 0.0),
                gate,
                rest + stages.get("report", 0.0) + stages.get("write", 0.0) + stages.get("booklet", 0.0),
                k_total,
                round(krun.rss_mib),
            ]
        )
        warmup = r["cold"] - r["warm"]
        raw_rows.append(
            [
                name,
                r["startup"],
                r["import"],
                r["cold"],
                warmup,
                r["fonts"],
                max(r["warm"] - r["fonts"], 0.0),
                raw_total,
                round(rrun.rss_mib),
                k_total / raw_total,
                (k_total - gate) / raw_total,
                (k_total - k["startup"] - k["import"]) / (raw_total - r["startup"] - r["import"]),
            ]
        )
        totals["k"] += k_total
        totals["r"] += raw_total
        totals["gate"] += gate
        totals["kstart"] += k["startup"] + k["import"]
        totals["rstart"] += r["startup"] + r["import"]
    headers = ["publication", "pages", "start", "import", "load", "render", "layout+write", "post-proc", "gate"]
    headers += ["rest", "total", "peak MiB"]
    table(headers, rows, "katern (fresh process, `build NAME --format pdf` in the library, --jobs 1)")
    print()
    table(
        ["publication", "start", "import", "write_pdf", "1st-use", "fonts+CSS", "layout", "total", "peak MiB"]
        + ["ratio", "no gate", "no start"],
        raw_rows,
        "raw WeasyPrint (fresh process: weasyprint.HTML(string=html, base_url, ProjectURLFetcher).write_pdf(pdf/ua-1))",
    )
    print("raw: write_pdf = the cold call; of it, 1st-use = cold minus a warm repeat in the same process (first-use")
    print("caches: hyphenation, shaping, CSS); fonts+CSS = a document with the same styles and an empty body;")
    print("layout = warm repeat minus fonts+CSS; total = wall time until the PDF is written.")
    print("ratio = katern total / raw total; no gate = katern without the validators; no start = both without")
    print("Python start-up and imports.")
    if dropped_any:
        print(f"(extra outputs left out of katern's PDF build: {', '.join(sorted(set(dropped_any)))})")
    for line in failed:
        print(f"not measured: {line}")
    if totals["r"]:
        ratio = totals["k"] / totals["r"]
        no_gate = (totals["k"] - totals["gate"]) / totals["r"]
        no_start = (totals["k"] - totals["kstart"]) / (totals["r"] - totals["rstart"])
        print()
        print(
            f"{len(raw_rows)} publication(s): katern {totals['k']:.1f} s, raw WeasyPrint {totals['r']:.1f} s: "
            f"ratio {ratio:.2f}; without the validators (gate, {totals['gate']:.1f} s) {no_gate:.2f}; "
            f"without start-up and imports {no_start:.2f}"
        )
        note = f"; {len(failed)} failed" if failed else ""
        settle("overhead", f"{ratio:.2f} (no gate {no_gate:.2f}{note})", ratio <= 1.05)


# --- 2. --jobs -----------------------------------------------------------------------------------


def section_jobs(bench: Bench) -> None:
    names = bench.profile.publications or []
    what = ", ".join(names) if names else "all shipped publications"
    print(
        f"`katern build --out DIR [--jobs N]` of {what}: cold (fresh out dir and cache each), {os.cpu_count()} cores."
    )
    help_ = help_text("build") or ""
    if "--jobs" not in help_:
        print("--jobs: not available (`katern build --help` has no --jobs); nothing measured.")
        settle("jobs", "not available", None)
        return
    project = bench.project_copy("jobs")
    rows, walls, outs = [], {}, {}
    for label, extra in (("--jobs 1", ["--jobs", "1"]), ("default", [])):
        progress(f"jobs: build {label}")
        out = bench.tmp / "jobs" / label.replace(" ", "").strip("-")
        cache = bench.tmp / "jobs" / f"cache-{label.replace(' ', '')}"
        result = katern("--project", str(project), "build", *names, "--out", str(out), *extra, cache=cache)
        failed = failures(result)
        rows.append([label, result.wall, round(result.rss_mib), result.rc, len(snapshot(out)), ", ".join(failed)])
        if result.rc:
            print(f"{label}: {result.tail(1)}")
        walls[label], outs[label] = result.wall, out
        if label == "default" and snapshot(out):
            bench.built = (project, out, cache, names)
            bench.cold_wall = result.wall
            bench.failed = failed
    table(["jobs", "wall s", "peak MiB (one process)", "exit", "files", "failed"], rows)
    serial, parallel = digests(outs["--jobs 1"]), digests(outs["default"])
    differ = sorted(f for f in {*serial, *parallel} if serial.get(f) != parallel.get(f))
    ratio = walls["default"] / walls["--jobs 1"]
    same = "yes" if not differ else f"NO ({len(differ)} differ: {', '.join(differ[:6])})"
    print(f"default over --jobs 1: {ratio:.2f}; outputs byte-identical: {same}")
    failed = sorted({f for r in rows for f in r[5].split(", ") if f})
    note = f" ({', '.join(failed)} failed)" if failed else ""
    settle("jobs", f"{ratio:.2f}{note}", ratio <= 0.6)


# --- 3. no-change rebuild ------------------------------------------------------------------------


def cold_build(bench: Bench, label: str) -> tuple[Path, Path, Path, list[str]]:
    """Return (project, out, cache, names) of a cold build: the jobs section's default one, or a new one."""
    if bench.built:
        return bench.built
    project = bench.project_copy(label)
    names = bench.profile.publications or []
    out, cache = bench.tmp / label / "out", bench.tmp / label / "cache"
    progress(f"{label}: cold build")
    result = katern("--project", str(project), "build", *names, "--out", str(out), cache=cache)
    if result.rc and not snapshot(out):
        raise RuntimeError(f"cold build failed: {result.tail()}")
    bench.failed = failures(result)
    if result.rc:
        which = ", ".join(bench.failed) or "some publications"
        print(f"note: the cold build ({result.wall:.1f} s) failed for {which}: {result.tail(1)}")
    bench.built = (project, out, cache, names)
    bench.cold_wall = result.wall
    return bench.built


def section_noop(bench: Bench) -> None:
    project, out, cache, names = cold_build(bench, "noop")
    print("A second `katern build` into the same out dir, nothing changed (same cache).")
    before = snapshot(out)
    progress("noop: rebuild")
    result = katern("--project", str(project), "build", *names, "--out", str(out), cache=cache)
    after = snapshot(out)
    rewritten = [f for f in before if after.get(f) != before[f]]
    rows = [["cold build", bench.cold_wall if bench.cold_wall else None, len(before)]]
    rows.append(["no-change rebuild", result.wall, f"{len(rewritten)} of {len(before)} rewritten"])
    note = ""
    if bench.failed:  # a publication that failed is tried again on every build: time the others alone too
        built = [n for n in names or publication_names(project) if n not in bench.failed]
        progress("noop: rebuild of the publications that built")
        ok = katern("--project", str(project), "build", *built, "--out", str(out), cache=cache)
        again = snapshot(out)
        changed = [f for f in after if again.get(f) != after[f]]
        rows.append([f"no-change rebuild of the {len(built)} that built", ok.wall, f"{len(changed)} rewritten"])
        note = f"; without the {len(bench.failed)} failing: {ok.wall:.2f} s"
    table(["build", "wall s", "output files"], rows)
    if result.rc:
        print(f"rebuild: {result.tail(1)}")
    if bench.failed:
        print(f"(failed in the cold build: {', '.join(bench.failed)}; a failed publication is tried again every build)")
    ratio = result.wall / bench.cold_wall if bench.cold_wall else float("nan")
    print(f"no-change rebuild over cold build: {ratio:.2f}")
    measured = f"{result.wall:.2f} s ({len(rewritten)}/{len(before)} files rewritten{note})"
    settle("noop", measured, result.wall <= 1.0)


# --- 4. one-story edit ---------------------------------------------------------------------------


def pick_record(project: Path, publication: str) -> tuple[str, list[str]]:
    """Return the record of `publication` used by the fewest publications, and those publications."""
    result = katern("--project", str(project), "list", "--json", timeout=300)
    if result.rc:
        raise RuntimeError(f"katern list --json failed: {result.tail()}")
    records = json.loads(result.stdout)
    candidates = [r for r in records if publication in (r.get("publications") or [])]
    if not candidates:
        raise RuntimeError(f"no record of {publication} in `katern list --json`")
    best = min(candidates, key=lambda r: (len(r["publications"]), r["slug"]))
    return best["slug"], sorted(best["publications"])


def edit_one_word(record: Path) -> str:
    """Change one word in the body of `record`: its first 'de' becomes 'het'. Return the new sentence start."""
    text = record.read_text(encoding="utf-8")
    body = text.index("\n---", 4) + 4
    match = re.search(r"\bde\b", text[body:])
    if not match:
        raise RuntimeError(f"no word 'de' in the body of {record}")
    at = body + match.start()
    record.write_text(text[:at] + "het" + text[at + 2 :], encoding="utf-8")
    return text[at : at + 40].replace("\n", " ")


def section_edit(bench: Bench) -> None:
    project, out, cache, names = cold_build(bench, "edit")
    all_names = names or publication_names(project)
    target = bench.profile.edit_target
    slug, users = pick_record(project, target)
    print(f"Change one word ('de' -> 'het') in the body of {slug} (used by: {', '.join(users)}), then rebuild.")
    before = snapshot(out)
    edit_one_word(project / "content" / "records" / f"{slug}.md")
    progress("edit: rebuild after the edit")
    result = katern("--project", str(project), "build", *names, "--out", str(out), cache=cache)
    after = snapshot(out)
    rewritten = sorted({owner(f, all_names) for f in before if after.get(f) != before[f]})
    # of the publications this build builds, and those that built (a failed one is tried again each time)
    expected = sorted(set(users) & set(all_names) - set(bench.failed))
    rewritten = [name for name in rewritten if name not in bench.failed]
    rows = [["katern build (all)", result.wall, ", ".join(rewritten) or "(none)"]]
    if result.rc:
        print(f"rebuild: {result.tail(1)}")
    exact = rewritten == expected and set(failures(result)) <= set(bench.failed)
    settle(
        "edit-build",
        f"rebuilt {len(rewritten)} of {len(all_names)} "
        f"({'exactly' if exact else 'not only'} the {len(expected)} using it)",
        exact,
    )
    serve_help = help_text("serve")
    if serve_help is None:
        rows.append(["katern serve", "not available", "(`katern serve --help` fails)"])
        table(["how", "wall s", "publications rewritten"], rows)
        cold = bench.cold_wall
        if cold:
            print(f"edit rebuild over cold build: {result.wall / cold:.2f}")
        settle("serve-pdf", "not available", None)
        settle("serve-html", "not available", None)
        return
    serve_rows = measure_serve(bench, target, slug, serve_help)
    rows += serve_rows
    table(["how", "wall s", "publications rewritten / note"], rows)
    for line in bench.serve_said:
        print(f"katern serve said: {line}")
    if bench.cold_wall:
        print(f"edit rebuild (katern build) over cold build of all: {result.wall / bench.cold_wall:.2f}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# What the serve figures were before the HTML booklet was written first and the PDF laid out per story
# (katern.storylayout): serve rebuilt with katern.build.build, the HTML after the PDF's layout and checks.
SERVE_BEFORE = {"html": "6.45 s", "pdf": "0.71 of cold", "draft": "not shown before it was in build/"}


def preview_draft(port: int, name: str) -> bool:
    """Say whether `katern serve` on `port` shows a newly laid-out PDF of `name` (a draft, being checked)."""
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/status", timeout=2) as response:
            status = json.loads(response.read().decode("utf-8"))
    except (OSError, ValueError):
        return False
    return bool((status.get("publications", {}).get(name) or {}).get("draft"))


def measure_serve(bench: Bench, target: str, slug: str, serve_help: str) -> list[list]:
    """Time a one-word edit in `katern serve TARGET`: until its HTML and its PDF in build/ are replaced."""
    project = bench.project_copy("serve")
    cache = bench.tmp / "serve" / "cache"
    progress(f"serve: cold build of {target} for reference")
    cold = katern("--project", str(project), "build", target, "--out", str(bench.tmp / "serve" / "cold"), cache=cache)
    if cold.rc:
        raise RuntimeError(f"cold build of {target} failed: {cold.tail()}")
    out = project / "build"
    port = free_port()
    args = ["--project", str(project), "serve", target, "--port", str(port), "--no-browser"]
    if "--out" in serve_help:
        args += ["--out", str(out)]
    log = bench.tmp / "serve" / "serve.log"
    pdf, html = out / f"{target}.pdf", out / f"{target}.html"
    progress("serve: starting")
    with log.open("w") as handle:
        proc = subprocess.Popen(
            [PY, "-c", KATERN, *args], stdout=handle, stderr=subprocess.STDOUT, env=child_env(cache),
            cwd=tempfile.gettempdir(), start_new_session=True,
        )  # fmt: skip
    try:
        # ready: it printed its URL, and (unless it does not write at start) the outputs are in build/
        deadline = time.monotonic() + min(bench.timeout, 30 + 10 * cold.wall)
        served = False
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"katern serve exited ({proc.returncode}): {log.read_text()[-500:]}")
            served = served or bool(re.search(r"https?://", log.read_text(errors="replace")))
            if served and pdf.exists() and html.exists():
                break
            time.sleep(0.2)
        if not served:
            raise RuntimeError(f"katern serve printed no URL in time: {log.read_text(errors='replace')[-500:]}")
        stable = (snapshot(out), time.monotonic())
        while time.monotonic() - stable[1] < 2.0:  # the first build is done when nothing changes for 2 s
            time.sleep(0.2)
            now = snapshot(out)
            if now != stable[0]:
                stable = (now, time.monotonic())
        before = snapshot(out)
        lines_before = len(log.read_text(errors="replace").splitlines())
        edit_one_word(project / "content" / "records" / f"{slug}.md")
        edited = time.perf_counter()
        seen: dict[str, float] = {}
        while len(seen) < 3 and time.perf_counter() - edited < bench.timeout:
            now = snapshot(out)
            for key, path in (("html", html), ("pdf", pdf)):
                name = str(path.relative_to(out))
                if key not in seen and now.get(name) != before.get(name):
                    seen[key] = time.perf_counter() - edited
            if "draft" not in seen and (preview_draft(port, target) or "pdf" in seen):
                seen["draft"] = time.perf_counter() - edited
            if proc.poll() is not None:
                break
            time.sleep(0.01)
        said = log.read_text(errors="replace").splitlines()[lines_before:]
    finally:
        stop(proc)
    rows = [[f"cold build of {target}", cold.wall, "reference for serve"]]
    for key, label in (("html", "HTML"), ("draft", "PDF in the preview"), ("pdf", "PDF")):
        if key == "draft":
            note = "laid out and shown in the preview page, while it is checked" if key in seen else "not shown"
        else:
            note = "refreshed in build/ (checked), from the edit" if key in seen else "not refreshed"
        if key in ("pdf", "draft") and key in seen:
            note += f" ({seen[key] / cold.wall:.2f} of cold)"
        rows.append([f"katern serve: {label}", seen.get(key), f"{note}; before: {SERVE_BEFORE[key]}"])
    bench.serve_said = said[-4:]
    if "draft" in seen and "pdf" in seen:
        ratio, checked = seen["draft"] / cold.wall, seen["pdf"] / cold.wall
        measured = f"{ratio:.2f} in the preview ({seen['draft']:.2f} s of {cold.wall:.1f} s); {checked:.2f} in build/"
        settle("serve-pdf", measured, ratio <= 0.25)
    else:
        settle("serve-pdf", "PDF not refreshed", False)
    if "html" in seen:
        settle("serve-html", f"{seen['html']:.2f} s", seen["html"] <= 0.3)
    else:
        settle("serve-html", "HTML not refreshed", False)
    return rows


def stop(proc: subprocess.Popen) -> None:
    """Stop the serve process we started (and its own process group): Ctrl-C first, then harder."""
    for sig, wait in ((signal.SIGINT, 10), (signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        if proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
        except subprocess.TimeoutExpired:
            continue


# --- 5. generated project ------------------------------------------------------------------------


def pdf_pages(path: Path) -> int | None:
    try:
        import pypdf

        return len(pypdf.PdfReader(str(path)).pages)
    except Exception:
        return None


def section_scale(bench: Bench) -> None:
    sizes, builds = bench.profile.check_sizes, bench.profile.build_sizes
    print(f"Generated projects (bench/generate.py, seed 10): {', '.join(map(str, sizes))} records, nested;")
    brochures = ", ".join(f"brochure-{k}" for k in builds)
    print(f"publications: per-provincie (each: province, over every record), brochure-50, {brochures}.")
    peak = 0.0
    rows, firsts, seconds = [], [], []
    for n in sizes:
        project = bench.tmp / "scale" / f"p{n}"
        generate(project, n, seed=10, brochures=builds)
        cache = bench.tmp / "scale" / f"cache-{n}"
        progress(f"scale: check {n} records")
        first = katern("--project", str(project), "check", cache=cache)
        second = katern("--project", str(project), "check", cache=cache)
        summary = (second.stdout.strip() or second.stderr.strip()).splitlines()
        said = summary[-1] if summary else ""
        rows.append([n, first.wall, second.wall, round(first.rss_mib), round(second.rss_mib), first.rc, said])
        firsts.append(first.wall)
        seconds.append(second.wall)
        peak = max(peak, first.rss_mib, second.rss_mib)
    table(["records", "1st s", "2nd s", "1st MiB", "2nd MiB", "exit", "check says (2nd run)"], rows, "katern check")
    e1, e2 = slope(list(sizes), firsts), slope(list(sizes), seconds)
    em = slope(list(sizes), [r[3] for r in rows])
    print(f"growth exponent against records: time 1st run {e1:.2f}, 2nd run {e2:.2f}; peak memory {em:.2f}")
    print(f"second over first run at {sizes[-1]} records: {seconds[-1] / firsts[-1]:.2f}")
    label = "1,000 records" if sizes[-1] == 1000 else f"{sizes[-1]} records (quick)"
    settle("check", f"{seconds[-1]:.2f} s ({label})", seconds[-1] <= 2.0)
    print()
    project = bench.tmp / "scale" / f"p{sizes[-1]}"
    rows, pages, walls = [], [], []
    for k in builds:
        name = f"brochure-{k}"
        out = bench.tmp / "scale" / f"out-{k}"
        progress(f"scale: build {name}")
        cache = bench.tmp / "scale" / f"build-cache-{k}"
        result = katern("--project", str(project), "build", name, "--out", str(out), cache=cache)
        count = pdf_pages(out / f"{name}.pdf") if result.rc == 0 else None
        per_page = (result.wall / count) if count else None
        rows.append([name, k, count, result.wall, round(result.rss_mib), per_page, result.rc])
        peak = max(peak, result.rss_mib)
        if result.rc:
            print(f"{name} failed: {result.tail()}")
        elif count:
            pages.append(count)
            walls.append(result.wall)
    table(
        ["publication", "records", "pages", "wall s", "peak MiB", "s/page", "exit"],
        rows,
        f"katern build (cold, pdf and html) in the {sizes[-1]}-record project",
    )
    if len(pages) >= 2:
        exponent = slope(pages, walls)
        last = math.log(walls[-1] / walls[-2]) / math.log(pages[-1] / pages[-2])
        a, b = linear_fit(pages, walls)
        memory = slope(pages, [r[4] for r in rows if r[6] == 0 and r[2]])
        print(
            f"growth exponent (time against pages): {exponent:.2f} (least squares), {last:.2f} between the two largest;"
        )
        print(f"linear fit: {a:.1f} s fixed + {b:.3f} s per page; peak memory exponent {memory:.2f}")
        if len(pages) < len(builds):
            print(f"(only {len(pages)} of the {len(builds)} sizes built; the exponent is from those)")
        measured = f"{exponent:.2f} from {len(pages)} of {len(builds)} sizes (largest step {last:.2f})"
        settle("exponent", measured, exponent <= 1.1)
    print(f"peak memory of any one process in this section: {peak:.0f} MiB")
    settle("memory", f"{peak:.0f} MiB ({peak * MIB / GB:.2f} GB)", peak * MIB <= 1.5 * GB)


# --- driver --------------------------------------------------------------------------------------


class Bench:
    def __init__(self, profile: Profile, tmp: Path):
        self.profile = profile
        self.tmp = tmp
        self.timeout = profile.timeout
        self.built: tuple[Path, Path, Path, list[str]] | None = None  # the default-jobs cold build
        self.cold_wall: float | None = None
        self.serve_said: list[str] = []
        self.failed: list[str] = []  # publications the cold build could not build

    def project_copy(self, label: str) -> Path:
        return copy_project(self.tmp / label / "project")


RUNNERS = {
    "overhead": section_overhead,
    "jobs": section_jobs,
    "noop": section_noop,
    "edit": section_edit,
    "scale": section_scale,
}


def summary(quick: bool) -> None:
    print("=" * 100)
    print("Targets of issue 10" + (" (--quick: smaller sizes than the targets name)" if quick else ""))
    rows = []
    for target in TARGETS.values():
        verdict = {True: "PASS", False: "FAIL", None: "n/a"}[target.passed]
        rows.append([verdict, target.text, target.limit, target.measured])
    table(["", "target", "limit", "measured"], rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("--only", default=None, help=f"comma-separated sections: {', '.join(SECTIONS)}")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and say where it is")
    args = parser.parse_args(argv)
    chosen = list(SECTIONS) if not args.only else [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in SECTIONS]
    if unknown:
        parser.error(f"unknown section {unknown[0]!r}; choose from {', '.join(SECTIONS)}")
    venv = ROOT / ".venv"
    if venv.is_dir() and Path(sys.prefix).resolve() != venv.resolve():
        print(f"warning: run the bench with {venv / 'bin' / 'python'}; this is {PY}", file=sys.stderr)
    profile = QUICK if args.quick else FULL
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="katern-bench-"))
    bench = Bench(profile, tmp)
    mode = "quick" if args.quick else "full"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"katern bench ({mode}), Python {sys.version.split()[0]}, {os.cpu_count()} cores, load average {load}")
    katern("--version", timeout=120)  # bring Python and katern into the page cache before anything is timed
    try:
        for number, name in enumerate(SECTIONS, 1):
            if name not in chosen:
                continue
            print()
            print(f"== {number}. {name} " + "=" * (94 - len(name)))
            section_started = time.perf_counter()
            try:
                RUNNERS[name](bench)
            except Exception as exc:
                print(f"section {name} failed: {exc.__class__.__name__}: {exc}")
                traceback.print_exc(limit=3, file=sys.stdout)
            load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
            print(f"({name}: {time.perf_counter() - section_started:.0f} s; load average now {load})")
            sys.stdout.flush()
        print()
        summary(args.quick)
        print(f"bench took {time.perf_counter() - started:.0f} s")
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
