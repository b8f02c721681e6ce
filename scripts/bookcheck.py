"""Check the rendered book as a reader sees it: headless Debian chromium driven by Selenium.

Holds the pieces that tests/book/test_browser.py and scripts/screenshots.py share:
- `toc_docs` / `doc_html`: the pages listed in _toc.yml (jb-book format) and their HTML files;
- `serve`: _build/html served from 127.0.0.1 on a free port (http.server in a thread);
- `start_browser`: chromium (/usr/bin/chromium, /usr/bin/chromedriver from `make browser`) headless,
  in a new empty profile, with every host except 127.0.0.1 unresolvable (no traffic leaves);
- `page_problems`: console errors, images that did not load, figures without a loaded image,
  glued outputs missing, unresolved references, error outputs, tables overflowing the text column;
- `crawl_links`: every internal href/src of every HTML page resolves (file and #anchor);
- `take_screenshots`: full-page PNGs of the intro, Table 1 and attention-map pages.

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

ROOT = Path(__file__).resolve().parents[1]
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


_WAIT_IMAGES_JS = """
const done = arguments[arguments.length - 1];
const imgs = Array.from(document.images);
imgs.forEach(i => { if (i.loading === 'lazy') i.loading = 'eager'; });
Promise.all(imgs.map(i => i.complete ? null : new Promise(r => {
  i.addEventListener('load', r); i.addEventListener('error', r); setTimeout(r, 15000);
}))).then(() => done(imgs.length));
"""

_DOM_CHECKS_JS = """
const expect = arguments[0];
const problems = [];
const loaded = el => el.tagName.toLowerCase() === 'img'
  ? (el.complete && el.naturalWidth > 0)
  : (el.getBoundingClientRect().width > 0 && el.getBoundingClientRect().height > 0);
const label = el => el.getAttribute('src') || el.id || el.outerHTML.slice(0, 80);
for (const img of document.images) {
  if (!(img.complete && img.naturalWidth > 0)) problems.push('image not loaded: ' + label(img));
}
for (const img of document.querySelectorAll('.cell_output img')) {
  if (!loaded(img)) problems.push('notebook output image not loaded: ' + label(img));
}
for (const fig of document.querySelectorAll('article figure')) {
  const media = Array.from(fig.querySelectorAll('img, svg, object, embed, video, canvas'));
  const tables = Array.from(fig.querySelectorAll('table')).filter(t => t.rows.length > 0);
  if (!media.some(loaded) && tables.length === 0) {
    problems.push('figure without a loaded image/svg: #' + (fig.id || '?') + ' "' +
                  fig.innerText.trim().slice(0, 60) + '"');
  }
}
for (const name of expect.figure_names) {
  const el = document.getElementById(name);
  if (!el) { problems.push('glued figure missing: #' + name); continue; }
  const media = Array.from(el.querySelectorAll('img, svg, table'));
  if (!media.some(m => m.tagName.toLowerCase() === 'table' ? m.rows.length > 0 : loaded(m)))
    problems.push('glued figure #' + name + ' has no loaded image or table');
}
const nFigures = document.querySelectorAll('article figure').length;
if (nFigures < expect.figures)
  problems.push(`page glues ${expect.figures} figure(s) but renders ${nFigures} <figure>`);
const pasted = Array.from(document.querySelectorAll('span.pasted-text'));
const filled = pasted.filter(s => s.textContent.trim().length > 0).length;
if (filled < expect.text_roles)
  problems.push(`page glues ${expect.text_roles} text value(s) but renders ${filled}`);
const bad = {
  '.problematic': 'unresolved markup',
  '.system-message': 'docutils system message',
  'div.output.traceback, div.output.error': 'error output',
};
for (const [sel, what] of Object.entries(bad)) {
  for (const el of document.querySelectorAll(sel))
    problems.push(what + ': ' + el.textContent.trim().slice(0, 120));
}
for (const x of document.querySelectorAll('article .xref')) {
  if (!x.closest('a')) problems.push('unresolved reference: ' + x.textContent.trim());
}
const text = document.body.innerText;
const errText = /(No key '[^']*' found in glue|Glue reference .* not found|glue key .*not found|Traceback \\(most recent call last\\))/i;
const m = text.match(errText);
if (m) problems.push('error text on page: ' + m[0]);
const article = document.querySelector('article.bd-article') || document.querySelector('article');
if (article) {
  const right = article.getBoundingClientRect().right + 1;
  for (const t of article.querySelectorAll('table')) {
    if (t.getBoundingClientRect().right <= right) continue;
    let el = t.parentElement, clipped = false;
    while (el && el !== article.parentElement) {
      const o = getComputedStyle(el).overflowX;
      if (o === 'auto' || o === 'scroll' || o === 'hidden') { clipped = true; break; }
      el = el.parentElement;
    }
    if (!clipped) problems.push('table overflows the text column: ' + t.innerText.slice(0, 60));
  }
  // a header cell whose longest word is wider than the cell has been broken inside that word
  const canvas = document.createElement('canvas').getContext('2d');
  for (const th of article.querySelectorAll('table th')) {
    const cs = getComputedStyle(th);
    canvas.font = `${cs.fontStyle} ${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
    const inner = th.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
    for (const word of th.innerText.split(/\\s+/).filter(w => w.length > 1)) {
      if (canvas.measureText(word).width > inner + 1) {
        problems.push('table header broken inside a word: "' + word + '"');
        break;
      }
    }
  }
  // a tool's warning printed into a page (papermill, Python warnings, Sphinx)
  const warning = /(Unable to parse line|\\b\\w*Warning: |\\bWARNING\\b|^\\s*warnings\\.warn)/m;
  const w = article.innerText.match(warning);
  if (w) problems.push('tool warning on page: ' + w[0]);
  // the values a page was run with are shown once
  const paramCells = article.querySelectorAll('div.cell.tag_parameters, div.cell.tag_injected-parameters');
  if (paramCells.length > 1) problems.push(`${paramCells.length} parameter cells shown (one expected)`);
}
for (const name of expect.table_names) {
  const el = document.getElementById(name);
  const number = el && el.querySelector('.caption-number');
  if (!number || !/^Table\\s+S\\d/.test(number.textContent.trim()))
    problems.push('glued table #' + name + ' is not numbered as one of our tables (Table S<n>): ' +
                  (number ? number.textContent.trim() : 'no number'));
}
// our numbers carry an S: "Table 5" or "Fig. 7" on these pages would read as the paper's
for (const number of document.querySelectorAll('article .caption-number')) {
  const t = number.textContent.trim();
  if (!/^(Table|Fig\\.|Listing)\\s+S\\d/.test(t)) problems.push("number that reads as the paper's: " + t);
}
// a figure glued without an image prints matplotlib's repr
const repr = document.body.innerText.match(/<Figure size [^>]*>/);
if (repr) problems.push('a figure printed as text: ' + repr[0]);
// every glued figure (not table) is an <img> that loaded with a non-zero natural size
for (const name of expect.glued_figures || []) {
  const el = document.getElementById(name);
  if (!el) continue;  // reported above
  const imgs = Array.from(el.querySelectorAll('img'));
  if (!imgs.some(i => i.complete && i.naturalWidth > 0 && i.naturalHeight > 0))
    problems.push('glued figure #' + name + ' is not an image with a non-zero size');
}
// key tables fit: a glued table (or the opening page's claims) needs no sideways scrolling at this width
for (const t of document.querySelectorAll('article figure.glued-table table, article .admonition table')) {
  let box = t.parentElement;
  while (box.parentElement && box.tagName.toLowerCase() !== 'article' &&
         !['auto', 'scroll', 'hidden'].includes(getComputedStyle(box).overflowX))
    box = box.parentElement;
  if (box.tagName.toLowerCase() === 'article') box = t.parentElement;
  if (box.scrollWidth > box.clientWidth + 1) {
    const fig = t.closest('figure');
    problems.push(`table scrolls sideways at ${window.innerWidth} px (${box.scrollWidth} > ${box.clientWidth} px): #` +
                  ((fig && fig.id) || '?') + ' ' + t.innerText.trim().slice(0, 40).replace(/\\s+/g, ' '));
  }
}
return problems;
"""


def load(driver, url: str) -> None:
    """Open `url` and wait until every image has loaded or failed."""
    driver.get(url)
    driver.execute_async_script(_WAIT_IMAGES_JS)


def page_problems(driver, base_url: str, doc: str, root: Path = ROOT) -> tuple[list[str], list[str]]:
    """(problems, ignored console messages) of one TOC page, loaded fresh in the browser."""
    console_messages(driver)  # drop what earlier pages logged
    html = doc_html(doc)
    if not (root / "_build" / "html" / html).exists():
        return [f"{html}: not in the build (listed in _toc.yml)"], []
    load(driver, base_url + html)
    problems = driver.execute_script(_DOM_CHECKS_JS, glue_expectations(doc_source(doc, root)))
    errors, ignored = console_messages(driver)
    problems += [f"console error: {e}" for e in errors]
    return [f"{html}: {p}" for p in problems], ignored


_DARK_JS = """
const probe = document.createElement('div');
probe.id = 'spap-dark-probe';
probe.innerHTML =
  '<div class="cell_output docutils container"><img alt="probe" src="' + arguments[0] + '"></div>' +
  '<figure class="align-default"><img alt="probe" src="' + arguments[0] + '"></figure>';
(document.querySelector('article.bd-article') || document.body).appendChild(probe);
const style = el => ({background: getComputedStyle(el).backgroundColor,
                      filter: getComputedStyle(el).filter});
const sel = '.cell_output img, figure img, .cell_output svg, figure svg';
const result = {
  theme: document.documentElement.dataset.theme,
  css: Array.from(document.styleSheets).some(s => (s.href || '').includes('custom.css')),
  probe_container: style(probe.querySelector('.cell_output')),
  probes: Array.from(probe.querySelectorAll('img')).map(style),
  real: Array.from(document.querySelectorAll(sel)).filter(el => !probe.contains(el))
    .filter(el => !el.matches('.only-dark, .dark-light'))
    .map(el => Object.assign(style(el), {src: el.getAttribute('src') || el.tagName})),
};
probe.remove();
return result;
"""

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
        return driver.execute_script(_DARK_JS, _PROBE_PNG)
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


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


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
            _write_atomic(path, full_page_png(driver, width))
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
