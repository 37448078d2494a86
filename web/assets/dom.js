// The only way text reaches the DOM. Everything the API returns may come from Active Directory
// (a CN can be "<img src=x onerror=alert(1)>"), so values become text nodes, never markup:
// there is no innerHTML anywhere in the dashboard, and attributes are set one by one.

const kSvgNs = 'http://www.w3.org/2000/svg';

// Attributes that would turn data into code or bypass the CSP; refusing them here keeps a
// careless call site from opening a hole.
const kForbidden = new Set(['innerhtml', 'outerhtml', 'style', 'srcdoc']);

function apply(el, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    const lower = key.toLowerCase();
    if (kForbidden.has(lower) || lower.startsWith('on')) {
      throw new Error(`dom: attribute '${key}' is not allowed (use textContent and listeners)`);
    }
    if (key === 'className') el.setAttribute('class', value);
    else if (key === 'testid') el.setAttribute('data-testid', value);
    else if (key === 'dataset') Object.entries(value).forEach(([k, v]) => { el.dataset[k] = v; });
    else if (key === 'listeners') Object.entries(value).forEach(([ev, fn]) => el.addEventListener(ev, fn));
    else if (key === 'value' && 'value' in el) el.value = value;
    else if (key === 'checked' || key === 'selected' || key === 'disabled') el[key] = Boolean(value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

// h('a', {href: '/x', className: 'y'}, 'text', otherNode): an element with text children.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

// svg('rect', {x: 1}): SVG elements need their namespace; same rules as h().
export function svg(tag, attrs, ...children) {
  const el = document.createElementNS(kSvgNs, tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null) continue;
    const lower = key.toLowerCase();
    if (kForbidden.has(lower) || lower.startsWith('on') || lower === 'href' || lower === 'xlink:href') {
      throw new Error(`dom: SVG attribute '${key}' is not allowed`);
    }
    if (key === 'className') el.setAttribute('class', value);
    else if (key === 'testid') el.setAttribute('data-testid', value);
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function text(value, fallback = '—') {
  return value === undefined || value === null || value === '' ? fallback : String(value);
}

// "2026-11-23T16:00:00Z" -> "2026-11-23 16:00 UTC": admins compare times across machines.
export function fmtTime(iso) {
  if (!iso) return '—';
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(String(iso));
  return m ? `${m[1]} ${m[2]} UTC` : String(iso);
}

export function fmtNumber(n) {
  return typeof n === 'number' ? n.toLocaleString('en-US') : text(n);
}

export const kSeverities = ['critical', 'high', 'medium', 'low', 'info'];
export const kStatuses = ['new', 'open', 'reopened', 'excepted', 'resolved'];

export function severityBadge(sev) {
  return h('span', { className: `badge sev-${kSeverities.includes(sev) ? sev : 'unknown'}` }, text(sev));
}

export function statusBadge(status) {
  return h('span', { className: `badge status-${kStatuses.includes(status) ? status : 'unknown'}` },
           text(status));
}

// Link handled by the client router (app.js intercepts clicks on a[data-route]).
export function link(href, ...children) {
  return h('a', { href, dataset: { route: '1' } }, ...children);
}

export function objectHref(finding) {
  const id = finding.objectGuid ? finding.objectGuid : finding.dn;
  return '/objects/' + encodeURIComponent(id || '');
}

export function table(headers, rows, attrs = {}) {
  return h('table', attrs,
    h('thead', {}, h('tr', {}, headers.map((c) => (c instanceof Node ? c : h('th', { scope: 'col' }, c))))),
    h('tbody', {}, rows));
}

export function section(title, ...children) {
  return h('section', { className: 'panel' }, h('h2', {}, title), ...children);
}

export function empty(message) {
  return h('p', { className: 'empty' }, message);
}

// el.append() without the surprise: null/false children are skipped instead of becoming "null".
export function add(el, ...children) {
  append(el, children);
  return el;
}

// The value of a DN's first RDN, unescaped (RFC 4514: "\," "\3D" ...): the CN people know the
// object by. "CN=\<img src\3Dx\>,OU=..." -> "<img src=x>" (still only ever used as text).
export function rdnValue(dn) {
  const s = String(dn || '');
  const eq = s.indexOf('=');
  if (eq < 0) return s;
  const bytes = [];
  const enc = new TextEncoder();
  for (let i = eq + 1; i < s.length; i++) {
    const c = s[i];
    if (c === ',' || c === '+') break;
    if (c === '\\' && i + 1 < s.length) {
      const hex = s.slice(i + 1, i + 3);
      if (/^[0-9a-fA-F]{2}$/.test(hex)) { bytes.push(parseInt(hex, 16)); i += 2; continue; }
      bytes.push(...enc.encode(s[i + 1]));
      i += 1;
      continue;
    }
    bytes.push(...enc.encode(c));
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}
