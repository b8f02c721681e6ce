"""The built book in a real browser: headless Debian chromium against _build/html.

Every page of _toc.yml loads without console errors, its images, figures and glued outputs are
there, internal links resolve, screenshots are written, and figures stay white in dark mode.
Needs a built book (the test command builds it first) and `make browser`.
"""

import struct
import time

import pytest

from tests.book import bookcheck

pytestmark = pytest.mark.browser

HTML = bookcheck.HTML_DIR
DOCS = bookcheck.toc_docs()
needs_build = pytest.mark.skipif(
    not (HTML / "index.html").exists(),
    reason="no built book in _build/html: run `make book` (the test command builds it first)",
)


@pytest.fixture(scope="module")
def site():
    if not (HTML / "index.html").exists():
        pytest.skip("no built book in _build/html: run `make book` first")
    with bookcheck.serve(HTML) as base_url:
        start = time.perf_counter()
        driver = bookcheck.start_browser()
        print(f"chromium started in {time.perf_counter() - start:.1f} s")
        try:
            yield driver, base_url
        finally:
            driver.quit()


@needs_build
@pytest.mark.parametrize("doc", DOCS)
def test_page_renders_cleanly(site, doc):
    driver, base_url = site
    problems, ignored = bookcheck.page_problems(driver, base_url, doc)
    for message in ignored:
        print(f"ignored (known benign): {message}")
    assert not problems, "\n".join(problems)


@needs_build
def test_every_toc_page_was_built():
    missing = [bookcheck.doc_html(d) for d in DOCS if not (HTML / bookcheck.doc_html(d)).exists()]
    assert not missing, f"pages in _toc.yml missing from _build/html: {missing}"


@needs_build
def test_internal_links_resolve():
    broken, checked = bookcheck.crawl_links(HTML)
    assert checked > 0
    assert not broken, f"{len(broken)} broken internal link(s):\n" + "\n".join(broken)


@needs_build
def test_run_page_titles_are_unique():
    """Every run page says what it ran: no two pages of the run index share a title."""
    titles = bookcheck.run_page_titles(HTML)
    assert titles, "no run pages under book/generated/runs"
    seen = {}
    for page, title in titles.items():
        seen.setdefault(title, []).append(page)
    dupes = {t: p for t, p in seen.items() if len(p) > 1}
    assert not dupes, f"run pages sharing a title: {dupes}"


def _png_size(path):
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", header[16:24])


@needs_build
def test_screenshots(site):
    driver, base_url = site
    written = bookcheck.take_screenshots(driver, base_url, DOCS, HTML / "_screenshots")
    names = {p.name for p in written}
    assert {"intro.png", "intro-dark.png"} <= names
    for key in bookcheck.screenshot_docs(DOCS):
        assert f"{key}.png" in names
    for path in written:
        width, height = _png_size(path)
        assert width == bookcheck.DEFAULT_WIDTH and height > 300, (path, width, height)


WHITE = "rgb(255, 255, 255)"


@needs_build
@pytest.mark.parametrize("doc", DOCS)
def test_dark_mode_keeps_figures_white(site, doc):
    driver, base_url = site
    styles = bookcheck.dark_mode_styles(driver, base_url, doc)
    assert styles["theme"] == "dark", "the theme did not switch to dark mode"
    assert styles["css"], "book/_static/custom.css is not loaded (see _config.yml html_css_files)"
    assert styles["probe_container"]["background"] == WHITE
    for probe in styles["probes"]:
        assert probe == {"background": WHITE, "filter": "none"}
    for real in styles["real"]:
        assert (real["background"], real["filter"]) == (WHITE, "none"), real
