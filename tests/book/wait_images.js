// Selenium execute_async_script body: make lazy images eager, wait (15 s at most each) until every image
// has loaded or failed, then call back with their number. Read by tests/book/bookcheck.py (load).
const done = arguments[arguments.length - 1];
const imgs = Array.from(document.images);
imgs.forEach(i => { if (i.loading === 'lazy') i.loading = 'eager'; });
Promise.all(imgs.map(i => i.complete ? null : new Promise(r => {
  i.addEventListener('load', r); i.addEventListener('error', r); setTimeout(r, 15000);
}))).then(() => done(imgs.length));
