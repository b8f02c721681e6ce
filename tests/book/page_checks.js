// Selenium execute_script body: the problems of one rendered book page as a reader sees it (images,
// figures, glued outputs, unresolved references, error output, tables that overflow). arguments[0]: the
// page's glue expectations. Read by tests/book/bookcheck.py (page_problems).
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
const errText = /(No key '[^']*' found in glue|Glue reference .* not found|glue key .*not found|Traceback \(most recent call last\))/i;
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
    for (const word of th.innerText.split(/\s+/).filter(w => w.length > 1)) {
      if (canvas.measureText(word).width > inner + 1) {
        problems.push('table header broken inside a word: "' + word + '"');
        break;
      }
    }
  }
  // a tool's warning printed into a page (papermill, Python warnings, Sphinx)
  const warning = /(Unable to parse line|\b\w*Warning: |\bWARNING\b|^\s*warnings\.warn)/m;
  const w = article.innerText.match(warning);
  if (w) problems.push('tool warning on page: ' + w[0]);
  // the values a page was run with are shown once
  const paramCells = article.querySelectorAll('div.cell.tag_parameters, div.cell.tag_injected-parameters');
  if (paramCells.length > 1) problems.push(`${paramCells.length} parameter cells shown (one expected)`);
}
for (const name of expect.table_names) {
  const el = document.getElementById(name);
  const number = el && el.querySelector('.caption-number');
  if (!number || !/^Table\s+S\d/.test(number.textContent.trim()))
    problems.push('glued table #' + name + ' is not numbered as one of our tables (Table S<n>): ' +
                  (number ? number.textContent.trim() : 'no number'));
}
// our numbers carry an S: "Table 5" or "Fig. 7" on these pages would read as the paper's
for (const number of document.querySelectorAll('article .caption-number')) {
  const t = number.textContent.trim();
  if (!/^(Table|Fig\.|Listing)\s+S\d/.test(t)) problems.push("number that reads as the paper's: " + t);
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
                  ((fig && fig.id) || '?') + ' ' + t.innerText.trim().slice(0, 40).replace(/\s+/g, ' '));
  }
}
return problems;
