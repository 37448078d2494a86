// Overview: where things stand after the last completed scan, and how they got there.
import { api, query } from '../api.js';
import { add, h, link, section, table, empty, fmtTime, fmtNumber, kSeverities, severityBadge, objectHref, text } from '../dom.js';
import { trendChart } from '../chart.js';

function scanStatus(scan, schedule) {
  const rows = [];
  if (!scan) rows.push(h('p', { className: 'empty' }, 'No scan yet. Operators start one on the Scans page.'));
  else {
    rows.push(h('dl', { className: 'facts' },
      h('dt', {}, 'Last scan'), h('dd', {}, link('/scans', `#${scan.id}`), ' ',
                                   h('span', { className: `badge scan-${scan.status}` }, scan.status)),
      h('dt', {}, 'Started'), h('dd', {}, fmtTime(scan.started)),
      h('dt', {}, 'Finished'), h('dd', {}, fmtTime(scan.finished)),
      h('dt', {}, 'Objects read'), h('dd', {}, fmtNumber(scan.objectsRead)),
      scan.error ? [h('dt', {}, 'Error'), h('dd', { className: 'error-text' }, scan.error)] : null));
  }
  if (schedule) {
    rows.push(h('dl', { className: 'facts' },
      h('dt', {}, 'Schedule'), h('dd', {}, text(schedule.schedule)),
      h('dt', {}, 'Next run'), h('dd', {}, fmtTime(schedule.nextRun)),
      schedule.running ? [h('dt', {}, 'Running'), h('dd', {}, link('/scans', `scan ${text(schedule.scanId, '')} (${text(schedule.phase, 'starting')})`))] : null));
  }
  return rows;
}

function changeList(items, total, label) {
  if (!total) return empty(`Nothing ${label} since the previous scan.`);
  return h('div', {},
    h('ul', { className: 'changes' }, items.map((f) => h('li', {}, severityBadge(f.severity), ' ',
      h('code', {}, f.rule), ' ', link(objectHref(f), text(f.samAccountName || f.dn)), ' ',
      h('span', { className: 'muted' }, text(f.summary, ''))))),
    total > items.length ? h('p', { className: 'muted' }, `and ${total - items.length} more`) : null);
}

// Rules the scan account could not fully read: never shown as passed (issue 14).
export function coveragePanel(coverage) {
  if (!coverage) return null;
  const open = (coverage.rules || []).filter((r) => r.verdict !== 'complete');
  if (coverage.computed && open.length === 0) return null;
  const lines = [];
  for (const r of open) {
    for (const i of (r.inputs || []).filter((x) => x.verdict !== 'complete')) {
      lines.push(h('li', { testid: `coverage-${r.rule}` },
        h('span', { className: `badge coverage-${r.verdict}` }, 'incomplete'), ' ', h('code', {}, r.rule), ': ',
        i.verdict === 'unknown' ? `could not check ${i.input}`
          : `could not read ${i.input} on ${fmtNumber(i.unreadable)} of ${fmtNumber(i.checked)} objects`,
        ` (${text(i.right, '')}). `, h('span', { className: 'muted' }, 'Fix: ', text(i.fix, ''))));
    }
  }
  return h('section', { className: 'panel coverage-warning', testid: 'coverage-warning' },
    h('h2', {}, coverage.computed ? `Coverage incomplete: ${open.length} rule(s)` : 'Coverage unknown'),
    h('p', {}, coverage.computed
      ? `The scan account ${text(coverage.account, '')} could not read everything these rules need: their findings there are missing, not passed.`
      : 'The scan account\'s token or the schema was not read: no rule can be shown as complete.'),
    h('ul', {}, lines));
}

export async function render(main) {
  const [ov, trend] = await Promise.all([api('/overview'), api('/trend', { params: { scans: 30 } })]);
  const sev = ov.bySeverity || {};
  const cards = h('div', { className: 'cards' }, kSeverities.map((s) =>
    h('a', { href: '/findings' + query({ severity: s }), dataset: { route: '1' },
             className: `card sev-card sev-${s}`, testid: `severity-card-${s}` },
      h('span', { className: 'card-count' }, fmtNumber(sev[s] || 0)),
      h('span', { className: 'card-label' }, s))));
  const excepted = h('p', { className: 'muted' }, `${fmtNumber(ov.excepted || 0)} findings are excepted `,
                     link('/exceptions', '(exceptions)'), '.');

  const byRule = (ov.byRule || []).length
    ? table(['Rule', 'Title', 'Severity', 'Findings', 'Excepted'], ov.byRule.map((r) => h('tr', {},
        h('td', {}, link('/findings' + query({ rule: r.rule }), h('code', {}, r.rule))),
        h('td', {}, text(r.title)), h('td', {}, severityBadge(r.severity)),
        h('td', { className: 'num' }, fmtNumber(r.findings)), h('td', { className: 'num' }, fmtNumber(r.excepted)))),
      { className: 'data' })
    : empty('No findings in the last completed scan.');

  const ch = ov.changes || {};
  const cov = coveragePanel((ov.lastCompletedScan || {}).coverage);
  add(main, 
    h('h1', {}, 'Overview'),
    cov, cards, excepted,
    h('div', { className: 'grid-2' },
      section('Trend', trendChart((trend && trend.points) || [])),
      section('Scan status', scanStatus(ov.lastScan || ov.lastCompletedScan, ov.schedule))),
    h('div', { className: 'grid-2' },
      section(`New since the previous scan (${fmtNumber(ch.newTotal || 0)})`,
              changeList(ch.new || [], ch.newTotal || 0, 'new'),
              ch.reopenedTotal ? h('p', { className: 'muted' }, `${ch.reopenedTotal} reopened`) : null),
      section(`Resolved since the previous scan (${fmtNumber(ch.resolvedTotal || 0)})`,
              changeList(ch.resolved || [], ch.resolvedTotal || 0, 'resolved'))),
    section('Findings by rule', byRule));
}
