"""Full-page screenshots of the built book: `python -m scripts.screenshots [--width 1280] [--no-dark]`.

Serves _build/html on 127.0.0.1, opens the intro, the study, Tables 1-3, the attention maps and the
notebook index of _toc.yml (whichever exist, matched by file name) in headless chromium and writes
_build/html/_screenshots/<intro|study|table1|table2|table3|attention|notebook_index>[-dark].png, kept with
the build. Needs a built book (`make book`) and the browser (`make browser`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tests.book import bookcheck


def screenshots(
    html_dir: Path = bookcheck.HTML_DIR, width: int = bookcheck.DEFAULT_WIDTH, dark: bool = True
) -> list[Path]:
    """Write the screenshots into <html_dir>/_screenshots and return their paths."""
    if not (html_dir / "index.html").exists():
        raise SystemExit(f"error: {html_dir} holds no built book; run `make book` first")
    docs = bookcheck.toc_docs()
    with bookcheck.serve(html_dir) as base_url:
        driver = bookcheck.start_browser(width=width)
        try:
            return bookcheck.take_screenshots(
                driver, base_url, docs, html_dir / "_screenshots", width=width, dark=dark
            )
        finally:
            driver.quit()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=bookcheck.DEFAULT_WIDTH, help="CSS pixels")
    parser.add_argument("--no-dark", action="store_true", help="skip the dark-mode screenshots")
    args = parser.parse_args(argv)
    if args.width < 320:
        parser.error(f"--width {args.width} is too narrow; use at least 320")
    for path in screenshots(width=args.width, dark=not args.no_dark):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
