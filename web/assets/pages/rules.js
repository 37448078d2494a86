// The rule catalogue: what each rule checks, why it matters and how to fix it.
import { loadRules, query } from '../api.js';
import { add, h, link, empty, severityBadge, text } from '../dom.js';

export async function render(main) {
  const rules = await loadRules();
  const categories = [...new Set(rules.map((r) => r.category || 'other'))];
  add(main, h('h1', {}, 'Rules'),
      h('p', { className: 'muted' }, `${rules.length} rules. Ids are stable: reports, exceptions and scripts use them.`),
      rules.length ? null : empty('The catalogue could not be loaded.'),
      categories.map((cat) => h('section', { className: 'panel' }, h('h2', {}, cat),
        rules.filter((r) => (r.category || 'other') === cat).map((r) => h('article', { className: 'rule', id: r.id },
          h('header', {}, severityBadge(r.severity), ' ', h('code', {}, r.id), ' ', h('strong', {}, text(r.title))),
          r.severityNote ? h('p', { className: 'muted' }, 'Severity: ', r.severityNote) : null,
          r.appliesTo ? h('p', { className: 'muted' }, 'Applies to: ', r.appliesTo) : null,
          h('p', {}, text(r.rationale || r.description, '')),
          r.remediation ? h('p', { className: 'remediation' }, h('strong', {}, 'Fix: '), r.remediation) : null,
          (r.references || []).length ? h('p', { className: 'small muted' }, 'References: ', r.references.join(' · ')) : null,
          h('p', {}, link('/findings' + query({ rule: r.id }), 'Findings of this rule')))))));
}
