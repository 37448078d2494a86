// Report downloads: plain links to /api/v1/reports/<format>; the browser sends the session cookie.
import { api, query } from '../api.js';
import { add, h, section, fmtTime, text } from '../dom.js';

const kFormats = [
  ['html', 'HTML report', 'readable report for people, printable'],
  ['csv', 'CSV', 'for spreadsheets (formulas neutralised)'],
  ['json', 'JSON', 'for scripts'],
  ['ps1', 'PowerShell fix script', 'fixes the findings; review before running'],
  ['ps1-revert', 'PowerShell revert script', 'undoes the fix script'],
  ['ldif', 'LDIF changes', 'the same fixes as ldapmodify input'],
  ['ldif-revert', 'LDIF revert', 'undoes the LDIF changes'],
];

export async function render(main) {
  const scans = await api('/scans', { params: { limit: 50 } });
  const done = (scans.items || []).filter((s) => s.status === 'completed' || s.status === 'partial');
  const scanSel = h('select', { id: 'report-scan' }, h('option', { value: 'latest' }, 'latest completed scan'),
    done.map((s) => h('option', { value: String(s.id) }, `scan ${s.id} · ${fmtTime(s.started)} · ${s.status}`)));
  const sinceSel = h('select', { id: 'report-since' }, h('option', { value: '' }, '— everything —'),
    done.map((s) => h('option', { value: String(s.id) }, `changes since scan ${s.id}`)));
  const ou = h('input', { id: 'report-ou', type: 'search', placeholder: 'OU subtree (optional)' });
  const list = h('ul', { className: 'downloads' });
  const paint = () => {
    list.replaceChildren();
    for (const [fmt, title, note] of kFormats) {
      const params = { scan: scanSel.value, since: sinceSel.value, ou: ou.value.trim() };
      const href = `/api/v1/reports/${fmt}` + query(params);
      add(list, h('li', {},
        h('a', { href, download: '', className: 'button', dataset: { format: fmt } }, title), ' ',
        h('span', { className: 'muted' }, note),
        fmt === 'html' ? [' · ', h('a', { href: `/api/v1/reports/html` + query({ ...params, inline: 1 }), target: '_blank',
                                         rel: 'noopener' }, 'open in a tab')] : null));
    }
  };
  [scanSel, sinceSel].forEach((el) => el.addEventListener('change', paint));
  ou.addEventListener('input', paint);
  paint();
  add(main, h('h1', {}, 'Reports'),
      section('Scope', h('div', { className: 'filters' },
        h('div', { className: 'field' }, h('label', { for: 'report-scan' }, 'Scan'), scanSel),
        h('div', { className: 'field' }, h('label', { for: 'report-since' }, 'Since'), sinceSel),
        h('div', { className: 'field grow' }, h('label', { for: 'report-ou' }, 'OU'), ou))),
      section('Downloads', list, done.length ? null : h('p', { className: 'muted' }, text(null, 'No completed scan yet.'))));
}
