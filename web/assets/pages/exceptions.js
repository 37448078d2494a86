// Exceptions: accepted risks with a reason, an owner and an optional expiry. Operators add them
// for one finding (its fingerprint) or for a rule and a DN pattern, and remove them.
import { api, query, loadRules } from '../api.js';
import { add, h, clear, link, section, table, empty, fmtTime, text } from '../dom.js';

function field(label, control, hint) {
  return h('div', { className: 'field' }, h('label', { for: control.id }, label), control,
           hint ? h('p', { className: 'field-hint' }, hint) : null);
}

export async function render(main, ctx) {
  const q = ctx.query;
  const showAll = q.get('all') === '1';
  let data = await api('/exceptions', { params: { all: showAll ? '1' : '' } });
  const rulesData = await loadRules();

  const tableBox = h('div', {});
  const paint = () => {
    const rows = (data.items || []).map((x) => h('tr', { dataset: { id: x.id, state: x.state } },
      h('td', { className: 'num' }, text(x.id)),
      h('td', {}, h('span', { className: `badge exc-${x.state}` }, text(x.state))),
      h('td', {}, h('code', {}, text(x.rule))),
      h('td', { className: 'dn' }, x.fingerprint
        ? ['finding ', h('code', { title: x.fingerprint }, String(x.fingerprint).slice(0, 12)), x.dnPattern ? [' · ', x.dnPattern] : null]
        : text(x.dnPattern)),
      h('td', {}, text(x.reason)),
      h('td', {}, text(x.owner)),
      h('td', { className: 'nowrap' }, fmtTime(x.created)),
      h('td', { className: 'nowrap' }, text(x.expires, 'never')),
      ctx.isOperator ? h('td', {}, x.state === 'active'
        ? h('button', { type: 'button', className: 'danger small', testid: 'exception-remove',
                        listeners: { click: () => remove(x.id) } }, 'Remove')
        : (x.removedAt ? `removed ${fmtTime(x.removedAt)}` : '')) : null));
    const headers = ['#', 'State', 'Rule', 'Finding / DN pattern', 'Reason', 'Owner', 'Created', 'Expires'];
    if (ctx.isOperator) headers.push('');
    add(clear(tableBox), rows.length ? table(headers, rows, { className: 'data', testid: 'exceptions-table' })
                                     : h('div', { testid: 'exceptions-table' }, empty('No exceptions.')));
  };
  const reload = async () => { data = await api('/exceptions', { params: { all: showAll ? '1' : '' } }); paint(); };
  async function remove(id) {
    try { await api(`/exceptions/${encodeURIComponent(id)}`, { method: 'DELETE' }); } catch { return; }
    await reload();
  }

  let formBox = null;
  let addButton = null;
  if (ctx.isOperator) {
    const prefilled = q.get('fingerprint') || q.get('rule');
    const fingerprint = h('input', { id: 'exc-fingerprint', name: 'fingerprint', value: q.get('fingerprint') || '',
                                     placeholder: 'fingerprint of one finding' });
    const rule = h('select', { id: 'exc-rule', name: 'rule' }, h('option', { value: '' }, '— rule —'),
      rulesData.map((r) => h('option', { value: r.id, selected: r.id === q.get('rule') }, r.id)));
    const dnPattern = h('input', { id: 'exc-dn', name: 'dnPattern', value: q.get('fingerprint') ? '' : (q.get('dn') || ''),
                                   placeholder: '*,OU=Service Accounts,DC=corp,DC=example,DC=com' });
    const reason = h('textarea', { id: 'exc-reason', name: 'reason', testid: 'exception-reason', rows: 2, required: true,
                                   placeholder: 'why this is accepted (who decided, ticket)' });
    const expires = h('input', { id: 'exc-expires', name: 'expires', type: 'date', testid: 'exception-expires' });
    const save = h('button', { type: 'submit', className: 'primary', testid: 'exception-save' }, 'Save exception');
    const target = q.get('dn') ? h('p', { className: 'muted dn' }, 'Object: ', q.get('dn')) : null;
    const form = h('form', { className: 'exception-form' },
      target,
      field('Finding', fingerprint, 'Set for one finding; or leave empty and give a rule and a DN pattern.'),
      h('div', { className: 'row' }, field('Rule', rule), field('DN pattern', dnPattern, '* matches any text')),
      field('Reason', reason), field('Expires (optional)', expires), save);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const body = { reason: reason.value.trim() };
      if (fingerprint.value.trim()) body.fingerprint = fingerprint.value.trim();
      else { body.rule = rule.value; body.dnPattern = dnPattern.value.trim(); }
      if (expires.value) body.expires = expires.value;
      save.disabled = true;
      try {
        await api('/exceptions', { method: 'POST', body });
        form.reset();
        formBox.hidden = true;
        // The prefill came from a finding's link; do not offer it twice.
        history.replaceState(null, '', '/exceptions' + query({ all: showAll ? '1' : '' }));
        await reload();
      } catch { /* the banner says what is wrong */ } finally { save.disabled = false; }
    });
    formBox = h('div', { className: 'panel', hidden: !prefilled }, h('h2', {}, 'New exception'), form);
    addButton = h('button', { type: 'button', className: 'primary', testid: 'exception-add',
                              listeners: { click: () => { formBox.hidden = !formBox.hidden; if (!formBox.hidden) reason.focus(); } } },
                  'Add exception');
  }

  paint();
  add(main, h('div', { className: 'title-row' }, h('h1', {}, 'Exceptions'), addButton),
      ctx.isOperator ? null : h('p', { className: 'muted' }, 'Adding and removing exceptions needs the operator role.'),
      formBox,
      h('p', {}, showAll ? link('/exceptions', 'Show active only') : link('/exceptions?all=1', 'Show expired and removed too')),
      tableBox);
}
