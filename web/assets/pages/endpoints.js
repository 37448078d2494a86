// ActiveSync endpoints from the last probe: each URL, its certificate chain leaf -> root as the
// server sent it, the TLS and HTTP answers, and the EP-* findings.
import { api } from '../api.js';
import { add, h, section, table, empty, fmtTime, severityBadge, text } from '../dom.js';

function chainList(chain) {
  if (!chain || !chain.length) return empty('No certificate received.');
  return h('ol', { className: 'chain' }, chain.map((c, i) => h('li', {
      className: (typeof c.daysLeft === 'number' && c.daysLeft < 30) ? 'cert expiring' : 'cert' },
    h('div', {}, h('span', { className: 'cert-role' }, i === 0 ? 'leaf' : (i === chain.length - 1 ? (c.selfSigned ? 'root' : 'top') : 'intermediate')),
      ' ', h('strong', {}, text(c.subject))),
    h('div', { className: 'muted small' }, 'issued by ', text(c.issuer)),
    h('div', { className: 'small' }, `valid ${fmtTime(c.notBefore)} – ${fmtTime(c.notAfter)}`,
      typeof c.daysLeft === 'number' ? ` (${c.daysLeft} days left)` : '', c.selfSigned ? ' · self-signed' : ''),
    h('div', { className: 'small muted' }, 'SHA-1 ', h('code', {}, text(c.sha1))))));
}

export async function render(main) {
  const data = await api('/endpoints');
  const items = data.items || [];
  add(main, h('h1', {}, 'Endpoints'),
      items.length ? null : empty('No ActiveSync URL is configured ([endpoint] urls), or none was probed yet.'),
      items.map((e) => section(text(e.url),
        h('dl', { className: 'facts' },
          h('dt', {}, 'Probed'), h('dd', {}, fmtTime(e.probedAt)),
          e.error ? [h('dt', {}, 'Error'), h('dd', { className: 'error-text' }, e.error)] : null,
          h('dt', {}, 'Chain verified'), h('dd', {}, e.verified ? 'yes' : ['no', e.verifyError ? ` — ${e.verifyError}` : '']),
          h('dt', {}, 'Host name matches'), h('dd', {}, e.hostnameOk ? 'yes' : 'no'),
          h('dt', {}, 'TLS'), h('dd', {}, `${text(e.protocol)} ${text(e.cipher, '')}`)),
        h('h3', {}, 'Certificate chain (leaf → root)'), chainList(e.chain),
        (e.http || []).length ? [h('h3', {}, 'HTTP'), table(['Method', 'Status', 'Meaning'], e.http.map((x) => h('tr', {},
          h('td', {}, text(x.method)), h('td', {}, x.error ? text(x.error) : `${text(x.status)} ${text(x.reason, '')}`),
          h('td', {}, text(x.meaning, '')))), { className: 'data' })] : null,
        h('h3', {}, 'Findings'),
        (e.findings || []).length ? h('ul', {}, e.findings.map((f) => h('li', {}, severityBadge(f.severity), ' ',
          h('code', {}, text(f.rule)), ' ', text(f.summary)))) : empty('No endpoint findings.'))));
}
