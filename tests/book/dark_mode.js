// Selenium execute_script body: computed styles of figure/output images in dark mode, plus an injected
// probe image (arguments[0]: its data URL). Read by tests/book/bookcheck.py (dark_mode_styles).
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
