"""Benchmark: build each shipped publication and print pages, wall time, peak memory and katern's overhead.

Run with `.venv/bin/python bench/bench.py [NAMES...]`. Each publication is measured in a fresh
child process so its peak memory (max RSS) is its own. "WeasyPrint alone" is the time WeasyPrint
takes to lay out and write the same final print HTML; the ratio shows what katern adds on top
(loading and validating content, Markdown, Jinja, font subsetting for the HTML booklet, the
accessibility check, atomic writes).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
import weasyprint
from katern.build import allowed_roots, build
from katern.pdf import ProjectURLFetcher
from katern.project import load_project
from katern.render import render_html

name, out = sys.argv[1], Path(sys.argv[2])
t0 = time.perf_counter()
project = load_project(sys.argv[3])
result = build(project, [name], ("pdf", "html"), out)[0]
total = time.perf_counter() - t0
assert result.ok, result.error
html = render_html(project, project.publications[name], "print")
t1 = time.perf_counter()
weasyprint.HTML(string=html, base_url=str(project.root) + "/",
                url_fetcher=ProjectURLFetcher(allowed_roots(project))).write_pdf(pdf_variant="pdf/ua-1")
alone = time.perf_counter() - t1
print(json.dumps({"name": name, "pages": result.pages, "total": total, "weasyprint": alone,
                  "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "pdf_kib": next(o.size for o in result.outputs if o.kind == "pdf") / 1024,
                  "html_kib": next(o.size for o in result.outputs if o.kind == "html") / 1024}))
"""


def main(names: list[str]) -> None:
    """Measure each publication and print one table row per publication."""
    sys.path.insert(0, str(ROOT / "src"))
    from katern.project import load_project

    names = names or sorted(load_project(ROOT).publications)
    print(f"{'publication':28} {'pages':>5} {'wall s':>7} {'weasy s':>8} {'ratio':>6} {'peak MiB':>9} "
          f"{'PDF KiB':>8} {'HTML KiB':>9}")
    with tempfile.TemporaryDirectory() as out:
        for name in names:
            proc = subprocess.run([sys.executable, "-c", CHILD, name, out, str(ROOT)],
                                  capture_output=True, text=True, check=False)
            if proc.returncode:
                print(f"{name:28} failed: {proc.stderr.strip().splitlines()[-1]}")
                continue
            row = json.loads(proc.stdout.strip().splitlines()[-1])
            print(f"{name:28} {row['pages']:>5} {row['total']:>7.1f} {row['weasyprint']:>8.1f} "
                  f"{row['total'] / row['weasyprint']:>6.2f} {row['rss_mib']:>9.0f} {row['pdf_kib']:>8.0f} "
                  f"{row['html_kib']:>9.0f}")


if __name__ == "__main__":
    main(sys.argv[1:])
