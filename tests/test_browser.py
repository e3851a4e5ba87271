"""The HTML booklets in a real browser (Debian's Chromium through Playwright), at phone and desktop width.

Each booklet must load nothing but itself (and data: URLs), never scroll sideways, and every contents link must
bring its target into view. Screenshots go to the test's tmp folder; those of van-nul-tot-later are also copied
to /tmp/katern-shots/ for a human to look at.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from katern.build import build
from katern.project import load_project

CHROMIUM = Path("/usr/bin/chromium")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (python) is not installed")

pytestmark = pytest.mark.skipif(not CHROMIUM.is_file(), reason=f"no Chromium at {CHROMIUM} for Playwright")

ROOT = Path(__file__).resolve().parents[1]
SHOTS = Path("/tmp/katern-shots")
SHOWN = "van-nul-tot-later"
LAUNCH_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WIDTHS = {
    "phone": {
        "viewport": {"width": 375, "height": 740},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
    "desktop": {"viewport": {"width": 1280, "height": 900}},
}
PUBLICATIONS = sorted(load_project(ROOT).publications)

TARGET_RECT = """
(id) => {
  const el = document.getElementById(id);
  if (!el) return null;
  const r = el.getBoundingClientRect();
  return {top: r.top, bottom: r.bottom, innerHeight: window.innerHeight};
}
"""

OVERFLOW = """
() => {
  const width = window.innerWidth;
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > width + 1 && getComputedStyle(el).position !== 'fixed') {
      wide.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${el.className} right=${Math.round(r.right)}`);
    }
  }
  return {
    scrollWidth: document.documentElement.scrollWidth,
    bodyScrollWidth: document.body.scrollWidth,
    innerWidth: width,
    wide: wide.slice(0, 8),
  };
}
"""


@pytest.fixture(scope="module")
def booklets(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("booklets")
    results = build(load_project(ROOT), formats=("html",), out_dir=out)
    failed = {r.name: r.error for r in results if not r.ok}
    assert not failed, failed
    return {r.name: next(o.path for o in r.outputs if o.kind == "html") for r in results}


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.mark.parametrize("width", sorted(WIDTHS))
@pytest.mark.parametrize("name", PUBLICATIONS)
def test_booklet_in_the_browser(browser, booklets, name, width, tmp_path_factory):
    path = booklets[name]
    url = path.as_uri()
    context = browser.new_context(**WIDTHS[width])
    try:
        page = context.new_page()
        requests: list[str] = []
        failures: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.on("requestfailed", lambda request: failures.append(f"{request.url[:100]}: {request.failure}"))
        page.goto(url, wait_until="load")
        page.evaluate("document.fonts.ready.then(() => true)")

        shots = tmp_path_factory.getbasetemp() / "screenshots"
        shots.mkdir(exist_ok=True)
        top_shot = shots / f"{name}-{width}.png"
        page.screenshot(path=str(top_shot))

        # Nothing but the file itself and data: URLs, and nothing failed.
        foreign = [u[:100] for u in requests if u.split("#")[0] != url and not u.startswith("data:")]
        assert not foreign, f"{name} ({width}) requested {foreign}"
        assert not failures, f"{name} ({width}) failed requests: {failures}"
        fonts = page.evaluate("[...document.fonts].filter(f => f.status === 'error').map(f => f.family)")
        assert not fonts, f"{name} ({width}): fonts failed to load: {fonts}"

        # No sideways scrolling.
        overflow = page.evaluate(OVERFLOW)
        assert overflow["innerWidth"] == WIDTHS[width]["viewport"]["width"], overflow
        assert overflow["scrollWidth"] <= overflow["innerWidth"], f"{name} ({width}) scrolls sideways: {overflow}"

        # Every contents link brings its target into view.
        links = page.locator("nav.contents a[href^='#']")
        count = links.count()
        if name == "werkende-factoren":
            assert count == 0  # the handout booklet is one section, no contents
        else:
            assert count > 0, f"{name} ({width}) has no contents links"
        story_shot = None
        for index in range(count):
            link = links.nth(index)
            target = link.get_attribute("href")[1:]
            link.click()
            page.wait_for_function("(id) => location.hash === '#' + id", arg=target)
            rect = page.evaluate(TARGET_RECT, target)
            assert rect is not None, f"{name} ({width}): contents link #{target} has no target"
            assert -2 <= rect["top"] <= rect["innerHeight"], (
                f"{name} ({width}): after clicking #{target} its top is at {rect['top']:.0f}px, "
                f"outside the viewport (0..{rect['innerHeight']})"
            )
            if story_shot is None and page.evaluate(f"document.getElementById({target!r}).tagName") == "ARTICLE":
                story_shot = shots / f"{name}-{width}-story.png"
                page.screenshot(path=str(story_shot))
        assert page.evaluate(OVERFLOW)["scrollWidth"] <= WIDTHS[width]["viewport"]["width"]
        foreign = [u[:100] for u in requests if u.split("#")[0] != url and not u.startswith("data:")]
        assert not foreign and not failures, (foreign, failures)

        if name == SHOWN:
            SHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copy(top_shot, SHOTS / top_shot.name)
            if story_shot is not None:
                shutil.copy(story_shot, SHOTS / story_shot.name)
    finally:
        context.close()


AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


@pytest.mark.parametrize("width", sorted(WIDTHS))
@pytest.mark.parametrize("name", PUBLICATIONS)
def test_booklet_passes_axe_core(browser, booklets, name, width):
    """axe-core (WCAG 2.1 A/AA and best practice) finds no violation in the HTML booklet."""
    axe_module = pytest.importorskip("axe_playwright_python.sync_playwright", reason="axe-playwright-python missing")
    context = browser.new_context(**WIDTHS[width])
    try:
        page = context.new_page()
        page.goto(booklets[name].as_uri(), wait_until="load")
        results = axe_module.Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
        violations = [
            (v["id"], v["impact"], [n["target"] for n in v["nodes"][:3]]) for v in results.response["violations"]
        ]
        assert not violations, f"{name} ({width}): axe-core finds {violations}"
        assert results.response["passes"], "axe-core ran no rule"
    finally:
        context.close()
