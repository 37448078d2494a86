// fetch wrapper for /api/v1: JSON in and out, the session's CSRF token on every state change,
// and one error banner that shows the API's message and hint (the server words them for people).
import { h, clear } from './dom.js';

let csrfToken = null;
let onUnauthenticated = () => {};

export function setCsrf(token) { csrfToken = token || null; }
export function setUnauthenticatedHandler(fn) { onUnauthenticated = fn; }

export class ApiError extends Error {
  constructor(status, code, message, hint) {
    super(message);
    this.status = status;
    this.code = code;
    this.hint = hint || '';
  }
}

export function query(params) {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) {
    if (Array.isArray(value)) value.forEach((v) => q.append(key, v));
    else if (value !== undefined && value !== null && value !== '') q.append(key, value);
  }
  const s = q.toString();
  return s ? '?' + s : '';
}

// api('/findings', {query: {...}}) -> parsed JSON (null for 204). Throws ApiError.
// A 401 sends the user to /login unless {expect401: true} (the login form handles it itself).
export async function api(path, { method = 'GET', body, params, expect401 = false, banner = true } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let response;
  try {
    response = await fetch('/api/v1' + path + query(params), {
      method, headers, credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    const e = new ApiError(0, 'network', 'the adcheck server does not answer',
                           'Is adcheck serve still running? Reload the page when it is back.');
    if (banner) showError(e);
    throw e;
  }
  if (response.status === 204) return null;
  let data = null;
  const type = response.headers.get('Content-Type') || '';
  if (type.includes('application/json')) {
    try { data = await response.json(); } catch { data = null; }
  }
  if (response.ok) return data;
  const err = data && data.error ? data.error : {};
  const e = new ApiError(response.status, err.code || 'http-' + response.status,
                         err.message || `HTTP ${response.status} from ${path}`, err.hint);
  if (response.status === 401 && !expect401) {
    onUnauthenticated(e);
    throw e;
  }
  if (banner) showError(e);
  throw e;
}

export function showError(e) {
  const bannerEl = document.getElementById('error-banner');
  if (!bannerEl) return;
  clear(bannerEl);
  bannerEl.append(h('div', { className: 'banner-body' },
    h('strong', {}, e.message || String(e)),
    e.hint ? h('span', { className: 'hint' }, ' ' + e.hint) : null,
    h('button', { type: 'button', className: 'close', 'aria-label': 'dismiss',
                  listeners: { click: hideError } }, '×')));
  bannerEl.hidden = false;
}

export function hideError() {
  const bannerEl = document.getElementById('error-banner');
  if (bannerEl) { clear(bannerEl); bannerEl.hidden = true; }
}

// /rules answers {"rules": [...]} (API.md); the CLI's bare list is accepted too.
export async function loadRules() {
  try {
    const d = await api('/rules', { banner: false });
    return Array.isArray(d) ? d : (d && d.rules) || [];
  } catch (e) {
    if (e.status === 401) throw e;
    return [];
  }
}
