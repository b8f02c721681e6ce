"""The book checks themselves catch what they claim to: TOC parsing, glue counting, broken links,
and (in the browser) broken images, empty figures, missing glue, console errors."""

import json

import pytest

from tests.book import bookcheck


def test_toc_docs_walks_parts_chapters_sections_and_globs(tmp_path):
    for name in ("book/intro.md", "book/a.ipynb", "book/runs/r1.md", "book/runs/r2.ipynb"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("# x\n")
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nparts:\n  - caption: P\n    chapters:\n"
        "      - file: book/a.ipynb\n        sections:\n          - glob: book/runs/*\n"
        "      - url: https://example.org\n"
    )
    docs = bookcheck.toc_docs(tmp_path / "_toc.yml")
    assert docs == ["book/intro", "book/a", "book/runs/r1", "book/runs/r2"]
    assert bookcheck.doc_html("book/a") == "book/a.html"
    assert bookcheck.doc_source("book/a", tmp_path) == tmp_path / "book/a.ipynb"


def test_toc_docs_rejects_a_file_without_root(tmp_path):
    (tmp_path / "_toc.yml").write_text("chapters: []\n")
    with pytest.raises(ValueError, match="no 'root' key"):
        bookcheck.toc_docs(tmp_path / "_toc.yml")


def test_screenshot_docs_matches_file_names():
    docs = [
        "book/intro",
        "book/table1_fid",
        "book/figures_7_9_attention",
        "book/other",
        "book/generated/notebook_index",
        "book/generated/study",
    ]
    assert bookcheck.screenshot_docs(docs) == {
        "intro": "book/intro",
        "table1": "book/table1_fid",
        "attention": "book/figures_7_9_attention",
        "notebook_index": "book/generated/notebook_index",
        "study": "book/generated/study",
    }
    assert bookcheck.screenshot_docs(["book/start"]) == {"intro": "book/start"}


def test_glue_expectations_in_markdown_and_notebooks(tmp_path):
    text = (
        "FD {glue:text}`t1.ipynb::fd:.2f`, {glue:text}`n:d`.\n\n"
        "```{glue:figure} fig_a\n:name: fig-a\n:figwidth: 80%\n\nCaption\n```\n\n"
        ":::{glue:figure} fig_b\nNo name\n:::\n\n"
        "```{glued-table} tab_c\n:name: tbl-c\n\nA table\n```\n"
    )
    md = tmp_path / "p.md"
    md.write_text(text)
    expected = {
        "figure_names": ["fig-a", "tbl-c"],
        "table_names": ["tbl-c"],
        "glued_figures": ["fig-a"],
        "figures": 3,
        "text_roles": 2,
    }
    assert bookcheck.glue_expectations(md) == expected
    nb = tmp_path / "p.ipynb"
    cell = {"cell_type": "markdown", "metadata": {}, "source": text.splitlines(keepends=True)}
    code = {"cell_type": "code", "source": "{glue:text}`x:d`", "metadata": {}, "outputs": []}
    nb.write_text(json.dumps({"cells": [cell, code], "metadata": {}, "nbformat": 4}))
    assert bookcheck.glue_expectations(nb) == expected
    assert bookcheck.glue_expectations(None)["figures"] == 0


def _site(tmp_path):
    html = tmp_path / "_build" / "html"
    (html / "book" / "_images").mkdir(parents=True)
    (html / "book" / "_images" / "f.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (html / "index.html").write_text('<meta http-equiv="refresh" content="0; url=book/a.html">')
    return html


def test_crawl_links_reports_missing_files_and_anchors(tmp_path):
    html = _site(tmp_path)
    (html / "book" / "a.html").write_text(
        '<h1 id="top">A</h1><a href="b.html#sec">ok</a> <a href="#top">self</a>'
        ' <a href="https://example.org/x">ext</a> <a href="mailto:a@b.c">mail</a>'
        ' <img src="_images/f.png"> <a href="c.html">gone</a> <a href="b.html#nope">bad anchor</a>'
        ' <link rel="stylesheet" href="../_static/missing.css"> <a href="../../outside.html">out</a>'
    )
    (html / "book" / "b.html").write_text('<section id="sec"><a name="old"></a></section>')
    broken, checked = bookcheck.crawl_links(html)
    assert checked == 7
    assert sorted(broken) == sorted(
        [
            "book/a.html: <a> c.html: missing file book/c.html",
            "book/a.html: <a> b.html#nope: no #nope in book/b.html",
            "book/a.html: <link> ../_static/missing.css: missing file _static/missing.css",
            "book/a.html: <a> ../../outside.html: points outside _build/html",
        ]
    )


GOOD_PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="


@pytest.mark.browser
def test_page_problems_catches_a_broken_page(tmp_path):
    html = _site(tmp_path)
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "bad.md").write_text(
        "{glue:text}`v:.2f` {glue:text}`w:.2f`\n\n```{glue:figure} k\n:name: fig-glued\n\nc\n```\n"
        "```{glued-table} t\n:name: tbl-glued\n\nc\n```\n"
        "```{glue:figure} r\n:name: fig-repr\n\nc\n```\n"
        "```{glued-table} w\n:name: tbl-wide\n\nc\n```\n"
    )
    (html / "book" / "bad.html").write_text(
        "<html><body><article class='bd-article'>"
        "<img src='_images/none.png'>"
        "<figure id='fig-empty'><figcaption>Empty figure</figcaption></figure>"
        "<span class='pasted-text'>1.00</span>"
        "<p><code class='xref std std-numref'>nofig</code></p>"
        "<script>console.error('boom from the page')</script>"
        "<figure id='tbl-glued'><figcaption><span class='caption-number'>Fig. 3 </span>t</figcaption>"
        "<table><tr><th style='width:30px;max-width:30px'>Parameters</th></tr><tr><td>1</td></tr></table>"
        "</figure>"
        "<pre>Unable to parse line 6 'size = 0 # x'.</pre>"
        "<figure id='fig-repr'><pre>&lt;Figure size 500x340 with 1 Axes&gt;</pre>"
        "<figcaption><span class='caption-number'>Fig. 7 </span>curves</figcaption></figure>"
        "<figure id='tbl-wide' class='glued-table' style='overflow-x:auto'>"
        "<figcaption><span class='caption-number'>Table S2 </span>w</figcaption>"
        "<table><tr><td style='min-width:3000px'>wide</td></tr></table></figure>"
        "<div class='cell tag_parameters'>a = 1</div><div class='cell tag_injected-parameters'>a = 2</div>"
        "</article></body></html>"
    )
    (html / "book" / "good.html").write_text(
        "<html><body><article class='bd-article'><figure id='fig-ok'>"
        f"<img src='data:image/png;base64,{GOOD_PNG}'><figcaption>ok</figcaption></figure>"
        "<a class='reference internal' href='#fig-ok'><span class='xref'>Fig. 1</span></a>"
        "</article></body></html>"
    )
    (tmp_path / "book" / "good.md").write_text("no glue here\n")
    with bookcheck.serve(html) as base_url:
        driver = bookcheck.start_browser()
        try:
            problems, _ = bookcheck.page_problems(driver, base_url, "book/bad", tmp_path)
            good, _ = bookcheck.page_problems(driver, base_url, "book/good", tmp_path)
            missing, _ = bookcheck.page_problems(driver, base_url, "book/none", tmp_path)
        finally:
            driver.quit()
    text = "\n".join(problems)
    for needle in (
        "image not loaded: _images/none.png",
        "figure without a loaded image/svg: #fig-empty",
        "glued figure missing: #fig-glued",
        "page glues 2 text value(s) but renders 1",
        "unresolved reference: nofig",
        "console error:",
        "boom from the page",
        "none.png - Failed to load resource",
        "glued table #tbl-glued is not numbered as one of our tables (Table S<n>): Fig. 3",
        "number that reads as the paper's: Fig. 7",
        "a figure printed as text: <Figure size 500x340 with 1 Axes>",
        "glued figure #fig-repr is not an image with a non-zero size",
        "table scrolls sideways at 1280 px",
        'table header broken inside a word: "Parameters"',
        "tool warning on page: Unable to parse line",
        "2 parameter cells shown (one expected)",
    ):
        assert needle in text, f"{needle!r} not reported in:\n{text}"
    assert all(p.startswith("book/bad.html: ") for p in problems)
    assert good == []
    assert missing == ["book/none.html: not in the build (listed in _toc.yml)"]
