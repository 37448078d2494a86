// Object page: the `adcheck explain` story of one directory object, read from the last scanned
// source, plus its findings and their lifecycle in the store.
import { api } from '../api.js';
import { add, h, link, section, table, empty, fmtTime, severityBadge, statusBadge, text, rdnValue } from '../dom.js';

function yesNo(v) {
  if (v === null || v === undefined) return '—';
  return v ? 'yes' : 'no';
}

// "20261123160520.0Z" (LDAP generalized time) -> "2026-11-23 16:05 UTC".
function genTime(v) {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})/.exec(String(v || ''));
  return m ? `${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]} UTC` : text(v);
}

function facts(o) {
  const mobile = o.mobile || {};
  const rights = o.activeSyncRights || {};
  return h('dl', { className: 'facts' },
    h('dt', {}, 'Name'), h('dd', {}, text(rdnValue(o.dn))),
    h('dt', {}, 'DN'), h('dd', { className: 'dn' }, text(o.dn)),
    h('dt', {}, 'Account'), h('dd', {}, text(o.samAccountName)),
    o.userPrincipalName ? [h('dt', {}, 'UPN'), h('dd', {}, o.userPrincipalName)] : null,
    h('dt', {}, 'Kind'), h('dd', {}, text(o.kind)),
    h('dt', {}, 'objectGUID'), h('dd', {}, h('code', {}, text(o.objectGuid))),
    h('dt', {}, 'objectSid'), h('dd', {}, h('code', {}, text(o.objectSid))),
    h('dt', {}, 'Disabled'), h('dd', {}, yesNo(o.disabled)),
    h('dt', {}, 'Mailbox'), h('dd', {}, yesNo(o.mailbox)),
    h('dt', {}, 'ActiveSync'), h('dd', {}, mobile.activeSyncEnabled === false ? 'disabled' : 'enabled'),
    h('dt', {}, 'adminCount'), h('dd', {}, text(o.adminCount)),
    h('dt', {}, 'Protected by SDProp'), h('dd', {}, yesNo(o.protectedBySdprop)),
    h('dt', {}, 'Inheritance'), h('dd', { className: o.daclProtected ? 'warn-text' : null },
                                     o.daclProtected ? 'disabled (DACL protected)' : 'enabled'),
    rights.decision ? [h('dt', {}, 'Exchange device rights'),
                       h('dd', {}, h('span', { className: `badge decision-${rights.decision}` }, rights.decision),
                         ' ', text(rights.granted, ''))] : null);
}

function rightsSection(o) {
  const r = o.activeSyncRights;
  if (!r) return null;
  return section('Can Exchange create the device container?',
    h('dl', { className: 'facts' },
      h('dt', {}, 'Requested'), h('dd', {}, text(r.requested)),
      h('dt', {}, 'Decision'), h('dd', {}, h('span', { className: `badge decision-${r.decision}` }, text(r.decision))),
      h('dt', {}, 'Granted'), h('dd', {}, text(r.granted)),
      r.decidingAce ? [h('dt', {}, 'Deciding ACE'), h('dd', {}, h('code', { className: 'wrap' }, r.decidingAce))] : null,
      h('dt', {}, 'Evaluated token'), h('dd', {}, (r.token || []).length
        ? h('ul', { className: 'inline-list' }, r.token.map((t) => h('li', {}, t))) : '—')));
}

function daclSection(o) {
  const rows = (o.dacl || []).map((ace) => h('tr', { className: ace.deciding ? 'deciding' : null },
    h('td', { className: 'num' }, text(ace.index)),
    h('td', {}, text(ace.text), ace.deciding ? h('span', { className: 'badge deciding-badge' }, 'deciding') : null),
    h('td', {}, h('code', { className: 'wrap' }, text(ace.sddl)))));
  return section('DACL',
    o.daclProtected ? h('p', { className: 'warn-text' },
      'Inheritance is disabled on this object: ACEs set on its OU or the domain (such as Exchange\'s) do not reach it.') : null,
    rows.length ? table(['#', 'Access control entry', 'SDDL'], rows, { className: 'data dacl', testid: 'object-dacl' })
                : h('div', { testid: 'object-dacl' }, empty('The DACL has no entries.')),
    h('h3', {}, 'SDDL'),
    h('pre', { className: 'sddl', testid: 'object-sddl' }, text(o.sddl, '')));
}

function protectionSection(o) {
  const paths = o.protectedGroupPath || [];
  const mobile = o.mobile || {};
  return section('Protection and mobile settings',
    h('h3', {}, 'Protected-group path'),
    paths.length ? h('ul', { className: 'paths' }, paths.map((p) => h('li', {}, p)))
                 : empty('Not a member of a protected group.'),
    h('h3', {}, 'msExchOmaAdminWirelessEnable'),
    h('p', {}, 'Value: ', h('code', {}, text(mobile.msExchOmaAdminWirelessEnable, 'not set')),
      typeof mobile.msExchOmaAdminWirelessEnable === 'number'
        ? ` (binary ${mobile.msExchOmaAdminWirelessEnable.toString(2)})` : ''),
    (mobile.decoded || []).length ? h('ul', {}, mobile.decoded.map((d) => h('li', {}, d)))
                                  : empty('No bits set: every mobile feature is enabled.'));
}

function devicesSection(o) {
  const devices = o.devices || [];
  return section('Mobile devices',
    o.deviceContainer ? h('p', { className: 'muted dn' }, 'Container: ', text(o.deviceContainer.dn || o.deviceContainer)) : null,
    devices.length
      ? table(['Type', 'Model', 'Device id', 'First sync', 'Last change'], devices.map((d) => h('tr', {},
          h('td', {}, text(d.type)), h('td', {}, text(d.model)), h('td', {}, h('code', {}, text(d.deviceId))),
          h('td', {}, genTime(d.firstSyncTime)), h('td', {}, genTime(d.whenChanged)))), { className: 'data' })
      : empty('No ActiveSync devices.'));
}

function verdictsSection(o) {
  const list = o.rules || o.verdicts || [];
  if (!list.length) return null;
  return section('Rules on this object', table(['Rule', 'Verdict', 'Findings'], list.map((r) => h('tr', {},
    h('td', {}, h('code', {}, text(r.rule))),
    h('td', {}, h('span', { className: `badge verdict-${r.verdict === 'finding' ? 'finding' : r.verdict === 'pass' ? 'pass' : 'other'}` },
                  text(r.verdict))),
    h('td', {}, (r.findings || []).map((f) => h('div', {}, severityBadge(f.severity), ' ', text(f.summary)))))),
    { className: 'data' }));
}

function findingsSection(findings, history) {
  const events = new Map((history || []).map((x) => [x.fingerprint, x.events || []]));
  return section('Findings and history', findings.length
    ? findings.map((f) => h('article', { className: 'finding' },
        h('header', {}, severityBadge(f.severity), ' ', h('code', {}, text(f.rule)), ' ', statusBadge(f.status),
          ' ', h('span', {}, text(f.summary))),
        f.remediation ? h('p', { className: 'remediation' }, h('strong', {}, 'Fix: '), f.remediation) : null,
        h('p', { className: 'muted' }, `first seen ${fmtTime(f.firstSeen)} · last seen ${fmtTime(f.lastSeen)}`,
          f.resolvedAt ? ` · resolved ${fmtTime(f.resolvedAt)}` : ''),
        (events.get(f.fingerprint) || []).length
          ? h('ol', { className: 'timeline' }, events.get(f.fingerprint).map((e) => h('li', {},
              h('span', { className: 'nowrap' }, fmtTime(e.at)), ' ', h('strong', {}, text(e.event)),
              ` in scan ${text(e.scanId)}`, e.exceptionId ? ` (exception ${e.exceptionId})` : '')))
          : null))
    : empty('No findings on this object in the stored scans.'));
}

export async function render(main, ctx) {
  const data = await api('/objects/' + encodeURIComponent(ctx.params.id));
  const o = data.object;
  const title = o ? rdnValue(o.dn) || o.samAccountName : ctx.params.id;
  add(main, h('p', { className: 'crumbs' }, link('/findings', '← Findings')),
              h('h1', {}, 'Object ', h('span', { className: 'object-name' }, text(title))));
  if (!o && data.explainNote) {
    add(main, h('p', { 'data-testid': 'object-note' }, text(data.explainNote)));
  } else if (!o) {
    add(main, h('p', { className: 'warn-text' }, 'The directory data for this object could not be explained: ',
                  text(data.explainError, 'it is no longer in the last scanned source')));
  } else {
    add(main, section('Summary', facts(o)), rightsSection(o), daclSection(o), protectionSection(o),
                devicesSection(o), verdictsSection(o));
    if ((o.warnings || []).length) add(main, section('Warnings', h('ul', {}, o.warnings.map((w) => h('li', {}, text(w))))));
  }
  add(main, findingsSection(data.findings || [], data.history || []));
}
