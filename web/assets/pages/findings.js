// Findings: filters, sort and page live in the query string, so any view is a shareable link.
import { api, query, loadRules } from '../api.js';
import { add, h, link, table, empty, fmtTime, fmtNumber, kSeverities, kStatuses, severityBadge, statusBadge,
         objectHref, text, rdnValue } from '../dom.js';

const kLimit = 50;
const kSortable = [
  ['severity', 'Severity'], ['rule', 'Rule'], ['dn', 'Object'], ['sam', 'Account'], [null, 'Summary'],
  ['status', 'Status'], ['firstSeen', 'First seen'],
];

function select(testid, label, options, current) {
  const id = 'f-' + testid;
  const el = h('select', { id, name: testid, testid },
    h('option', { value: '' }, `any ${label}`),
    options.map(([value, caption]) => h('option', { value, selected: value === current }, caption)));
  return h('div', { className: 'field' }, h('label', { for: id }, label), el);
}

function input(testid, label, name, value, placeholder) {
  const id = 'f-' + testid;
  return h('div', { className: 'field grow' }, h('label', { for: id }, label),
           h('input', { id, name, testid, type: 'search', value: value || '', placeholder }));
}

export async function render(main, ctx) {
  const q = ctx.query;
  const filters = {
    rule: q.getAll('rule'), severity: q.getAll('severity'), status: q.getAll('status'),
    ou: q.get('ou') || '', q: q.get('q') || '', sort: q.get('sort') || '', order: q.get('order') || '',
    scan: q.get('scan') || '',
  };
  const offset = Math.max(0, parseInt(q.get('offset') || '0', 10) || 0);
  const [rules, data] = await Promise.all([
    loadRules(),
    api('/findings', { params: { ...filters, limit: kLimit, offset } }),
  ]);

  const urlFor = (changes) => {
    const next = { ...filters, offset: offset || '', ...changes };
    return '/findings' + query(next);
  };

  const form = h('form', { className: 'filters', role: 'search' },
    select('filter-rule', 'rule', rules.map((r) => [r.id, `${r.id} — ${r.title}`]), filters.rule[0]),
    select('filter-severity', 'severity', kSeverities.map((s) => [s, s]), filters.severity[0]),
    select('filter-status', 'status', kStatuses.map((s) => [s, s]), filters.status[0]),
    input('filter-ou', 'OU (subtree)', 'ou', filters.ou, 'OU=Sales,DC=corp,DC=example,DC=com'),
    input('filter-text', 'Text', 'q', filters.q, 'name, DN or summary'),
    h('div', { className: 'field' }, h('label', {}, ' '),
      h('button', { type: 'submit', testid: 'filter-apply', className: 'primary' }, 'Apply')),
    h('div', { className: 'field' }, h('label', {}, ' '), link('/findings', 'Clear')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = new FormData(form);
    const one = (k) => (f.get(k) ? [f.get(k)] : []);
    ctx.navigate('/findings' + query({
      rule: one('filter-rule'), severity: one('filter-severity'), status: one('filter-status'),
      ou: (f.get('ou') || '').trim(), q: (f.get('q') || '').trim(), sort: filters.sort, order: filters.order,
      scan: filters.scan,
    }));
  });

  const headers = kSortable.map(([key, caption]) => {
    if (!key) return h('th', { scope: 'col' }, caption);
    const active = filters.sort === key;
    const nextOrder = active && filters.order !== 'desc' ? 'desc' : 'asc';
    return h('th', { scope: 'col', 'aria-sort': active ? (filters.order === 'desc' ? 'descending' : 'ascending') : null },
      h('a', { href: urlFor({ sort: key, order: nextOrder, offset: '' }), dataset: { route: '1' }, className: 'sort' },
        caption, active ? (filters.order === 'desc' ? ' ▼' : ' ▲') : ''));
  });
  if (ctx.isOperator) headers.push(h('th', { scope: 'col' }, ''));

  const rows = (data.items || []).map((f) => h('tr', { testid: 'findings-row', dataset: { fingerprint: f.fingerprint } },
    h('td', {}, severityBadge(f.severity)),
    h('td', {}, h('code', {}, text(f.rule))),
    h('td', { className: 'dn' }, link(objectHref(f), h('span', { className: 'object-cn' }, text(rdnValue(f.dn)))),
      h('div', { className: 'muted small' }, text(f.dn, ''))),
    h('td', {}, text(f.samAccountName)),
    h('td', {}, text(f.summary)),
    h('td', {}, statusBadge(f.status)),
    h('td', { className: 'nowrap' }, fmtTime(f.firstSeen)),
    ctx.isOperator ? h('td', {}, f.status === 'excepted' ? '' :
      link('/exceptions' + query({ fingerprint: f.fingerprint, rule: f.rule, dn: f.dn }), 'Except…')) : null));

  const total = data.total || 0;
  const from = total ? offset + 1 : 0;
  const to = Math.min(offset + kLimit, total);
  const prev = h('a', { href: urlFor({ offset: Math.max(0, offset - kLimit) || '' }), dataset: { route: '1' },
                        testid: 'pager-prev', className: 'button', 'aria-disabled': offset === 0 ? 'true' : null });
  prev.textContent = '← Previous';
  const next = h('a', { href: urlFor({ offset: offset + kLimit }), dataset: { route: '1' }, testid: 'pager-next',
                        className: 'button', 'aria-disabled': to >= total ? 'true' : null });
  next.textContent = 'Next →';
  const pager = h('div', { className: 'pager' }, prev,
                  h('span', { className: 'muted' }, `${fmtNumber(from)}–${fmtNumber(to)} of ${fmtNumber(total)}`), next);

  add(main, h('h1', {}, 'Findings'), form,
    rows.length ? table(headers, rows, { className: 'data findings', testid: 'findings-table' })
                : h('div', { testid: 'findings-table' }, empty('No findings match these filters.')),
    pager);
}
