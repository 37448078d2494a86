// The rule catalogue: what each rule checks, why it matters and how to fix it.
import { api, loadRules, query } from '../api.js';
import { add, h, link, empty, severityBadge, text, fmtNumber } from '../dom.js';

// The last completed scan's coverage of one rule, in words: a rule that could not read its
// inputs is never shown as passed.
function coverageLine(coverage, id) {
  if (!coverage) return null;
  const r = (coverage.rules || []).find((x) => x.rule === id);
  if (!r) return null;
  if (r.verdict === 'complete')
    return h('p', { className: 'small muted', testid: `rule-coverage-${id}` }, 'Last scan: complete coverage.');
  const gaps = (r.inputs || []).filter((i) => i.verdict !== 'complete').map((i) =>
    i.verdict === 'unknown' ? `could not check ${i.input}`
      : `could not read ${i.input} on ${fmtNumber(i.unreadable)} of ${fmtNumber(i.checked)} objects (${text(i.right, '')})`);
  return h('p', { className: 'coverage-line', testid: `rule-coverage-${id}` },
    h('span', { className: `badge coverage-${r.verdict}` }, `coverage ${r.verdict}`), ' Last scan ',
    gaps.join('; '), '.');
}

export async function render(main) {
  const [rules, ov] = await Promise.all([loadRules(), api('/overview').catch(() => null)]);
  const coverage = ov && ov.lastCompletedScan ? ov.lastCompletedScan.coverage : null;
  const categories = [...new Set(rules.map((r) => r.category || 'other'))];
  add(main, h('h1', {}, 'Rules'),
      h('p', { className: 'muted' }, `${rules.length} rules. Ids are stable: reports, exceptions and scripts use them.`),
      rules.length ? null : empty('The catalogue could not be loaded.'),
      categories.map((cat) => h('section', { className: 'panel' }, h('h2', {}, cat),
        rules.filter((r) => (r.category || 'other') === cat).map((r) => h('article', { className: 'rule', id: r.id },
          h('header', {}, severityBadge(r.severity), ' ', h('code', {}, r.id), ' ', h('strong', {}, text(r.title))),
          r.severityNote ? h('p', { className: 'muted' }, 'Severity: ', r.severityNote) : null,
          r.appliesTo ? h('p', { className: 'muted' }, 'Applies to: ', r.appliesTo) : null,
          coverageLine(coverage, r.id),
          h('p', {}, text(r.rationale || r.description, '')),
          r.remediation ? h('p', { className: 'remediation' }, h('strong', {}, 'Fix: '), r.remediation) : null,
          (r.references || []).length ? h('p', { className: 'small muted' }, 'References: ', r.references.join(' · ')) : null,
          h('p', {}, link('/findings' + query({ rule: r.id }), 'Findings of this rule')))))));
}
