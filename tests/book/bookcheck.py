"""Check the rendered book as a reader sees it: headless Debian chromium driven by Selenium.

A test library (not a test file): holds the pieces that tests/book/test_browser.py and scripts/screenshots.py
share (``from tests.book import bookcheck``, with the repository root on ``sys.path``):
- `toc_docs` / `doc_html`: the pages listed in _toc.yml (jb-book format) and their HTML files;
- `serve`: _build/html served from 127.0.0.1 on a free port (http.server in a thread);
- `start_browser`: chromium (/usr/bin/chromium, /usr/bin/chromedriver from `make browser`) headless,
  in a new empty profile, with every host except 127.0.0.1 unresolvable (no traffic leaves);
- `page_problems`: console errors, images that did not load, figures without a loaded image,
  glued outputs missing, unresolved references, error outputs, tables overflowing the text column;
- `crawl_links`: every internal href/src of every HTML page resolves (file and #anchor);
- `take_screenshots`: full-page PNGs of the intro, Table 1 and attention-map pages.

The JavaScript run in the pages lives beside this file (``wait_images.js``, ``page_checks.js``,
``dark_mode.js``), read when first used.

Choice: Selenium + Debian's chromedriver rather than Playwright (Playwright's browser download
cannot work here, and Selenium talks to the distribution's matching driver without downloads).
"""

from __future__ import annotations

import contextlib
import fnmatch
import functools
import http.server
import json
import os
import re
import shutil
import socketserver
import tempfile
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml

from spap_lib.io import atomic_write_bytes

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
HTML_DIR = ROOT / "_build" / "html"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
DEFAULT_WIDTH = 1280
SOURCE_SUFFIXES = (".md", ".ipynb", ".rst", ".myst")

# The flags this machine needs for a headless Chromium (no network, no sandbox as root), plus: fixed window, and every host but 127.0.0.1 unresolvable so that a page
# that depends on the internet shows as a console error instead of waiting on DNS.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
)

# Console messages that are expected and harmless, each with its reason. Everything else of level
# SEVERE fails the page. Ignored messages are still returned (and printed by the tests).
KNOWN_BENIGN: tuple[tuple[str, str], ...] = (
    (
        r"^https://cdn\.jsdelivr\.net/npm/mathjax@\d[^ ]* - Failed to load resource",
        "Sphinx loads MathJax from its CDN on every page; the test machine has no internet"
        " (a reader's browser loads it). Math rendering is not checked here.",
    ),
    (
        r"Uncaught SyntaxError: Identifier 'THEBE_JS_URL' has already been declared",
        "Jupyter Book 1.0.4 + sphinx-thebe 0.3.1 emit sphinx-thebe's inline config script twice on"
        " every page (even in a clean build); the second `const` throws, the first already set it."
        " Thebe is off (launch_buttons.thebe false), so nothing on the page uses it.",
    ),
    (
        r"pydata-sphinx-theme\.js[^ ]* \d+:\d+ \"Got invalid theme mode: \. Resetting to auto\.\"",
        "pydata-sphinx-theme logs this on a first visit (no mode stored yet, Jupyter Book leaves"
        " html_theme_options.default_mode empty) and falls back to 'auto', the intended default.",
    ),
    (
        r"^http://127\.0\.0\.1:\d+/favicon\.ico - Failed to load resource: .* 404",
        "Chromium asks the server root for /favicon.ico; the book sets no favicon (html.favicon)"
        " and on GitHub Pages the site root is not the book's.",
    ),
)

TARGETS = {
    "intro": ("*intro*", "index"),
    "table1": ("*table1*", "*table_1*", "*table-1*"),
    "attention": ("*attention*",),
    "notebook_index": ("*notebook_index*",),
    "study": ("study",),
    "table2": ("*table2*",),
    "table3": ("*table3*",),
}


# --------------------------------------------------------------------------- table of contents


def _toc_entries(node: object) -> Iterator[dict]:
    if isinstance(node, list):
        for item in node:
            yield from _toc_entries(item)
    elif isinstance(node, dict):
        yield node
        for key in ("parts", "chapters", "sections"):
            if key in node:
                yield from _toc_entries(node[key])


def _source_docs(root: Path) -> list[str]:
    """Source documents under root (for `glob:` entries); hidden, _build-like and data dirs pruned."""
    docs = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith((".", "_")) and d not in ("outputs", "data", "tests")]
        for name in files:
            path = Path(folder, name)
            if path.suffix in SOURCE_SUFFIXES:
                docs.append(path.relative_to(root).with_suffix("").as_posix())
    return sorted(docs)


def toc_docs(toc_path: Path = ROOT / "_toc.yml") -> list[str]:
    """Documents of the table of contents in reading order (root first), without suffix.

    Understands the jb-book and jb-article formats: `root`, `parts`, `chapters`, `sections`,
    entries with `file:` or `glob:`; `url:` entries (external) are skipped.
    """
    toc = yaml.safe_load(toc_path.read_text())
    if not isinstance(toc, dict) or "root" not in toc:
        raise ValueError(f"{toc_path}: not a Jupyter Book table of contents (no 'root' key)")
    docs: list[str] = []
    sources = None
    for entry in _toc_entries(toc):
        if entry is toc:
            names = [toc["root"]]
        elif "file" in entry:
            names = [entry["file"]]
        elif "glob" in entry:
            sources = sources if sources is not None else _source_docs(toc_path.parent)
            names = [d for d in sources if fnmatch.fnmatch(d, entry["glob"])]
        else:
            continue
        for name in names:
            name = str(name)
            stem = name[: -len(Path(name).suffix)] if Path(name).suffix in SOURCE_SUFFIXES else name
            if stem not in docs:
                docs.append(stem)
    return docs


def doc_html(doc: str) -> str:
    """The HTML file (relative to _build/html) of a document name such as 'book/intro'."""
    return f"{doc}.html"


def doc_source(doc: str, root: Path = ROOT) -> Path | None:
    """The source file of a document (.md, .ipynb, ...), or None."""
    for suffix in SOURCE_SUFFIXES:
        if (root / f"{doc}{suffix}").exists():
            return root / f"{doc}{suffix}"
    return None


def glue_expectations(source: Path | None) -> dict:
    """What a page's source glues: names of `{glue:figure}` directives, counts of roles/directives.

    myst-nb renders a missing glue key as nothing at all (the build only warns), so the browser
    check compares the rendered page against these counts.
    """
    if source is None:
        return {"figure_names": [], "table_names": [], "glued_figures": [], "figures": 0, "text_roles": 0}
    text = source.read_text()
    if source.suffix == ".ipynb":
        cells = json.loads(text).get("cells", [])
        text = "\n".join(
            "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in cells
            if c.get("cell_type") == "markdown"
        )
    names, figures, tables, glued_figures = [], 0, [], []
    for match in re.finditer(
        r"^[`:]{3,}\{(glue:figure|glued-table)\}[^\n]*\n((?:[ \t]*:[\w-]+:[^\n]*\n)*)", text, re.M
    ):
        figures += 1
        name = re.search(r":name:\s*(\S+)", match.group(2))
        if name:
            names.append(name.group(1))
            (tables if match.group(1) == "glued-table" else glued_figures).append(name.group(1))
    return {
        "figure_names": names,
        "table_names": tables,
        "glued_figures": glued_figures,
        "figures": figures,
        "text_roles": len(re.findall(r"\{glue:text\}`", text)),
    }


def screenshot_docs(docs: list[str]) -> dict[str, str]:
    """The TOC documents to photograph: intro (else the root), Table 1 and attention-map pages."""
    chosen: dict[str, str] = {}
    for key, patterns in TARGETS.items():
        for doc in docs:
            base = doc.rsplit("/", 1)[-1].lower()
            if any(fnmatch.fnmatch(base, p) for p in patterns):
                chosen[key] = doc
                break
    if "intro" not in chosen and docs:
        chosen["intro"] = docs[0]
    return chosen


# --------------------------------------------------------------------------------- server


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@contextlib.contextmanager
def serve(html_dir: Path = HTML_DIR) -> Iterator[str]:
    """Serve `html_dir` on 127.0.0.1 (a free port); yields the base URL ending in '/'."""
    handler = functools.partial(_QuietHandler, directory=str(html_dir))

    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True

    with Server(("127.0.0.1", 0), handler) as httpd:
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{httpd.server_address[1]}/"
        finally:
            httpd.shutdown()
            thread.join(timeout=5)


# -------------------------------------------------------------------------------- browser


def start_browser(width: int = DEFAULT_WIDTH, height: int = 900):
    """Headless chromium through Selenium, in a new empty profile (removed on quit)."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        raise RuntimeError(f"{', '.join(missing)} missing: run `make browser` (Debian chromium)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as exc:
        raise RuntimeError("selenium is not installed: run `make venv` (requirements.txt)") from exc

    profile = tempfile.mkdtemp(prefix="spap-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={width},{height}")
    options.set_capability("goog:loggingOptions", {"browser": "ALL"})
    try:
        driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    except Exception:
        shutil.rmtree(profile, ignore_errors=True)
        raise
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(20)
    quit_driver = driver.quit

    def quit_and_clean() -> None:
        try:
            quit_driver()
        finally:
            shutil.rmtree(profile, ignore_errors=True)

    driver.quit = quit_and_clean
    return driver


def console_messages(driver) -> tuple[list[str], list[str]]:
    """(errors, ignored): SEVERE browser console messages since the last call, split by KNOWN_BENIGN."""
    errors, ignored = [], []
    for entry in driver.get_log("browser"):
        if entry.get("level") != "SEVERE":
            continue
        message = entry.get("message", "")
        reason = next((r for pat, r in KNOWN_BENIGN if re.search(pat, message)), None)
        (ignored if reason else errors).append(message if not reason else f"{message} [{reason}]")
    return errors, ignored


@functools.cache
def _js(name: str) -> str:
    """The JavaScript of ``<name>.js`` beside this file: a function body for Selenium's execute_script."""
    return (HERE / f"{name}.js").read_text()


def load(driver, url: str) -> None:
    """Open `url` and wait until every image has loaded or failed."""
    driver.get(url)
    driver.execute_async_script(_js("wait_images"))


def page_problems(driver, base_url: str, doc: str, root: Path = ROOT) -> tuple[list[str], list[str]]:
    """(problems, ignored console messages) of one TOC page, loaded fresh in the browser."""
    console_messages(driver)  # drop what earlier pages logged
    html = doc_html(doc)
    if not (root / "_build" / "html" / html).exists():
        return [f"{html}: not in the build (listed in _toc.yml)"], []
    load(driver, base_url + html)
    problems = driver.execute_script(_js("page_checks"), glue_expectations(doc_source(doc, root)))
    errors, ignored = console_messages(driver)
    problems += [f"console error: {e}" for e in errors]
    return [f"{html}: {p}" for p in problems], ignored


# 1x1 transparent PNG.
_PROBE_PNG = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA"
    "60e6kgAAAABJRU5ErkJggg=="
)


def set_theme(driver, base_url: str, mode: str) -> None:
    """Choose the theme's light or dark mode the way its switcher does (localStorage)."""
    if mode not in ("light", "dark"):
        raise ValueError(f"theme mode {mode!r}: use 'light' or 'dark'")
    if not driver.current_url.startswith(base_url):
        driver.get(base_url)
    # pydata-sphinx-theme's switcher stores both keys; its inline script reads them before paint.
    driver.execute_script(
        "localStorage.setItem('mode', arguments[0]); localStorage.setItem('theme', arguments[0]);",
        mode,
    )


def dark_mode_styles(driver, base_url: str, doc: str) -> dict:
    """Computed styles of figure/output images of `doc` in dark mode, plus an injected probe."""
    set_theme(driver, base_url, "dark")
    try:
        load(driver, base_url + doc_html(doc))
        return driver.execute_script(_js("dark_mode"), _PROBE_PNG)
    finally:
        set_theme(driver, base_url, "light")


def full_page_png(driver, width: int = DEFAULT_WIDTH, max_height: int = 20000) -> bytes:
    """A PNG of the whole page at `width` CSS pixels (Chrome DevTools Page.captureScreenshot)."""
    import base64

    height = driver.execute_script(
        "return Math.ceil(Math.max(document.documentElement.scrollHeight,"
        " document.body ? document.body.scrollHeight : 0));"
    )
    height = max(1, min(int(height), max_height))
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )
    try:
        shot = driver.execute_cdp_cmd(
            "Page.captureScreenshot",
            {"format": "png", "captureBeyondViewport": True, "fromSurface": True},
        )
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    return base64.b64decode(shot["data"])


def take_screenshots(
    driver,
    base_url: str,
    docs: list[str],
    out_dir: Path = HTML_DIR / "_screenshots",
    width: int = DEFAULT_WIDTH,
    dark: bool = True,
) -> list[Path]:
    """Full-page PNGs of the intro, Table 1 and attention pages: <key>.png (and <key>-dark.png)."""
    written = []
    modes = ("light", "dark") if dark else ("light",)
    for key, doc in screenshot_docs(docs).items():
        for mode in modes:
            set_theme(driver, base_url, mode)
            load(driver, base_url + doc_html(doc))
            path = out_dir / (f"{key}.png" if mode == "light" else f"{key}-{mode}.png")
            atomic_write_bytes(path, full_page_png(driver, width))
            written.append(path)
    set_theme(driver, base_url, "light")
    return written


def run_page_titles(html_dir: Path = HTML_DIR) -> dict[str, str]:
    """{run page: its <h1> text} of every page under book/generated/runs/ of the build."""
    titles = {}
    sources = ROOT / "book" / "generated" / "runs"  # pages of this build only, not stale HTML of earlier ones
    for page in sorted(
        html_dir / "book" / "generated" / "runs" / f"{s.stem}.html" for s in sources.glob("*.ipynb")
    ):
        if not page.exists():
            continue
        match = re.search(r"<h1[^>]*>(.*?)</h1>", page.read_text(), re.S)
        text = re.sub(r"<[^>]+>", "", match.group(1)) if match else ""
        titles[page.name] = re.sub(r"\s+", " ", text.replace("#", "")).strip()
    return titles


# -------------------------------------------------------------------------------- link crawl

_LINK_ATTRS = {
    "a": "href",
    "link": "href",
    "area": "href",
    "img": "src",
    "script": "src",
    "source": "src",
    "iframe": "src",
    "video": "src",
    "audio": "src",
    "embed": "src",
}
_EXTERNAL_SCHEMES = ("http", "https", "mailto", "data", "javascript", "tel", "ftp")


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[tuple[str, str]] = []  # (tag, target)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for key in ("id", "name") if tag == "a" else ("id",):
            if values.get(key):
                self.ids.add(values[key])
        attr = _LINK_ATTRS.get(tag)
        if attr and values.get(attr):
            self.links.append((tag, values[attr]))
        if tag in ("img", "source") and values.get("srcset"):
            for part in values["srcset"].split(","):
                if part.strip():
                    self.links.append((tag, part.strip().split()[0]))


@functools.cache
def _parse(path: Path) -> _PageParser:
    parser = _PageParser()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return parser


def crawl_links(html_dir: Path = HTML_DIR) -> tuple[list[str], int]:
    """(broken, checked): every internal href/src of every built page, file and #anchor.

    Pages under _static/ (vendored theme files) and _sources/ are not crawled; targets may be
    anywhere in the build. External links (http/https/mailto/data/...) are not followed.
    """
    _parse.cache_clear()
    html_dir = html_dir.resolve()
    broken, checked = [], 0
    pages = sorted(
        p
        for p in html_dir.rglob("*.html")
        if p.relative_to(html_dir).parts[0] not in ("_static", "_sources", "_screenshots")
    )
    for page in pages:
        for tag, target in _parse(page).links:
            parts = urlsplit(target)
            if parts.scheme in _EXTERNAL_SCHEMES or target.startswith("//"):
                continue
            checked += 1
            where = f"{page.relative_to(html_dir)}: <{tag}> {target}"
            if parts.scheme:
                broken.append(f"{where}: unknown scheme")
                continue
            path = unquote(parts.path)
            if not path:
                dest = page
            elif path.startswith("/"):
                dest = html_dir / path.lstrip("/")
            else:
                dest = (page.parent / path).resolve()
            if dest.is_dir():
                dest = dest / "index.html"
            if html_dir not in (dest, *dest.parents):
                broken.append(f"{where}: points outside _build/html")
                continue
            if not dest.is_file():
                broken.append(f"{where}: missing file {dest.relative_to(html_dir)}")
                continue
            fragment = unquote(parts.fragment)
            if fragment and dest.suffix == ".html" and fragment not in _parse(dest).ids:
                broken.append(f"{where}: no #{fragment} in {dest.relative_to(html_dir)}")
    return broken, checked
