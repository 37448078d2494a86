// The dashboard shell: History-API router, navigation, session. Pages are modules under pages/
// exporting render(main, ctx); a page may return a cleanup function (e.g. to stop polling).
import { api, setCsrf, setUnauthenticatedHandler, hideError } from './api.js';
import { h, clear } from './dom.js';

const kPages = [
  { name: 'overview', title: 'Overview', path: '/', module: './pages/overview.js' },
  { name: 'findings', title: 'Findings', path: '/findings', module: './pages/findings.js' },
  { name: 'scans', title: 'Scans', path: '/scans', module: './pages/scans.js' },
  { name: 'exceptions', title: 'Exceptions', path: '/exceptions', module: './pages/exceptions.js' },
  { name: 'rules', title: 'Rules', path: '/rules', module: './pages/rules.js' },
  { name: 'reports', title: 'Reports', path: '/reports', module: './pages/reports.js' },
  { name: 'endpoints', title: 'Endpoints', path: '/endpoints', module: './pages/endpoints.js' },
];

const state = { session: null, cleanup: null, generation: 0 };

function route(pathname) {
  if (pathname === '/login') return { name: 'login', title: 'Sign in', module: './pages/login.js', params: {} };
  const obj = /^\/objects\/(.+)$/.exec(pathname);
  if (obj) {
    let id = obj[1];
    try { id = decodeURIComponent(id); } catch { /* keep it raw: the server answers 404 */ }
    return { name: 'object', title: 'Object', module: './pages/object.js', params: { id } };
  }
  const page = kPages.find((p) => p.path === pathname);
  if (page) return { ...page, params: {} };
  return { name: 'notfound', title: 'Not found', module: null, params: {} };
}

export function navigate(url, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  render();
}

function isOperator() {
  return Boolean(state.session && (state.session.role === 'operator' || state.session.role === 'admin'));
}

function renderChrome(current) {
  const nav = document.getElementById('nav');
  const user = document.getElementById('user');
  clear(nav);
  clear(user);
  const signedIn = Boolean(state.session) && current !== 'login';
  nav.hidden = !signedIn;
  user.hidden = !signedIn;
  if (!signedIn) return;
  for (const p of kPages) {
    nav.append(h('a', {
      href: p.path, dataset: { route: '1' }, testid: `nav-${p.name}`,
      className: p.name === current ? 'active' : null, 'aria-current': p.name === current ? 'page' : null,
    }, p.title));
  }
  const s = state.session;
  user.append(h('span', { testid: 'user-menu', className: 'user-menu', title: s.user },
                h('span', { className: 'user-name' }, s.displayName || s.user),
                h('span', { className: `role role-${s.role}` }, s.role)),
              h('button', { type: 'button', testid: 'logout', className: 'link-button',
                            listeners: { click: logout } }, 'Log out'));
}

async function logout() {
  try { await api('/logout', { method: 'POST' }); } catch { /* the session is gone either way */ }
  state.session = null;
  setCsrf(null);
  navigate('/login', { replace: true });
}

export function signedIn(session) {
  state.session = session;
  setCsrf(session.csrf);
}

async function ensureSession() {
  if (state.session) return true;
  try {
    signedIn(await api('/session', { expect401: true, banner: false }));
    return true;
  } catch (e) {
    if (e.status === 401) return false;
    throw e;
  }
}

async function render() {
  const generation = ++state.generation;
  if (state.cleanup) { try { state.cleanup(); } catch { /* a page's cleanup must not block */ } }
  state.cleanup = null;
  hideError();
  const main = document.getElementById('main');
  const r = route(location.pathname);
  if (r.name !== 'login') {
    let ok = false;
    try { ok = await ensureSession(); } catch { ok = false; }
    if (generation !== state.generation) return;
    if (!ok) {
      const next = location.pathname + location.search;
      history.replaceState(null, '', '/login' + (next !== '/' ? '?next=' + encodeURIComponent(next) : ''));
      return render();
    }
  }
  renderChrome(r.name);
  document.title = `${r.title} · adcheck`;
  const ctx = {
    session: state.session, params: r.params, query: new URLSearchParams(location.search), navigate,
    isOperator: isOperator(), alive: () => generation === state.generation, signedIn,
  };
  const content = h('div', { className: `page page-${r.name}` });
  if (!r.module) {
    content.append(h('h1', {}, 'Page not found'), h('p', {}, 'No page at ', h('code', {}, location.pathname), '.'));
    clear(main).append(content);
    return;
  }
  try {
    const mod = await import(r.module);
    if (generation !== state.generation) return;
    const cleanup = await mod.render(content, ctx);
    if (generation !== state.generation) { if (typeof cleanup === 'function') cleanup(); return; }
    state.cleanup = typeof cleanup === 'function' ? cleanup : null;
    clear(main).append(content);
  } catch (e) {
    if (generation !== state.generation || e.status === 401) return;
    // api() has shown the banner already; keep the page readable.
    clear(main).append(h('div', { className: 'page' }, h('h1', {}, r.title),
                             h('p', { className: 'empty' }, 'This page could not be loaded: ', String(e.message || e))));
    if (!e.status) console.warn(e);
  }
}

setUnauthenticatedHandler(() => {
  state.session = null;
  setCsrf(null);
  if (location.pathname !== '/login') {
    const next = location.pathname + location.search;
    navigate('/login?next=' + encodeURIComponent(next), { replace: true });
  }
});

// Client-side links: same-origin anchors marked data-route; downloads and modified clicks
// behave like ordinary links.
document.addEventListener('click', (ev) => {
  const a = ev.target.closest ? ev.target.closest('a[data-route]') : null;
  if (!a || ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
  if (a.getAttribute('aria-disabled') === 'true') { ev.preventDefault(); return; }
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin) return;
  ev.preventDefault();
  navigate(url.pathname + url.search + url.hash);
});

window.addEventListener('popstate', () => render());
render();
