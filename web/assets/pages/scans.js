// Scans: history, the running scan's progress (polled), and "Start scan" for operators.
import { api } from '../api.js';
import { add, h, clear, link, section, table, empty, fmtTime, fmtNumber, kSeverities, text } from '../dom.js';

const kLimit = 50;

function progressText(job) {
  if (job.running) {
    return [h('strong', {}, `Scan ${text(job.scanId, '')} running`),
            ` · phase ${text(job.phase, 'starting')} · ${fmtNumber(job.entries || 0)} entries, ` +
            `${fmtNumber(job.objects || 0)} objects · ${(job.seconds || 0).toFixed(1)} s`,
            job.startedBy ? ` · started by ${job.startedBy}` : ''];
  }
  const last = job.lastRun;
  return [h('strong', {}, 'Idle'),
          last ? [` · last run: scan ${text(last.scanId, '?')} `, h('span', { className: `badge scan-${last.status}` }, text(last.status)),
                  ` at ${fmtTime(last.finished)}`, last.error ? h('span', { className: 'error-text' }, ' ' + last.error) : null] : '',
          ` · schedule: ${text(job.schedule)}`, job.nextRun ? ` · next run ${fmtTime(job.nextRun)}` : ''];
}

function scanRow(s) {
  const by = s.bySeverity || {};
  return h('tr', { dataset: { scan: s.id, status: s.status } },
    h('td', { className: 'num' }, text(s.id)),
    h('td', {}, h('span', { className: `badge scan-${s.status}` }, text(s.status))),
    h('td', { className: 'nowrap' }, fmtTime(s.started)),
    h('td', { className: 'nowrap' }, fmtTime(s.finished)),
    h('td', { className: 'num' }, fmtNumber(s.objectsRead)),
    h('td', { className: 'num' }, s.status === 'running' ? '…' : link('/findings?scan=' + encodeURIComponent(s.id), fmtNumber(s.findings))),
    h('td', { className: 'sevs' }, kSeverities.filter((k) => by[k]).map((k) =>
      h('span', { className: `badge sev-${k}`, title: k }, `${k[0].toUpperCase()} ${by[k]}`))),
    h('td', { className: 'num' }, `+${s.new || 0} / −${s.resolved || 0}`),
    h('td', { className: 'small' }, text(s.error, ''), (s.warnings || []).length ? ` ${s.warnings.length} warning(s)` : ''));
}

export async function render(main, ctx) {
  const offset = Math.max(0, parseInt(ctx.query.get('offset') || '0', 10) || 0);
  let [job, scans] = await Promise.all([api('/job'), api('/scans', { params: { limit: kLimit, offset } })]);

  const progress = h('div', { className: 'progress', testid: 'scan-progress', 'aria-live': 'polite' });
  const tableBox = h('div', {});
  const start = ctx.isOperator
    ? h('button', { type: 'button', className: 'primary', testid: 'scan-start' }, 'Start scan') : null;

  const paint = () => {
    progress.dataset.state = job.running ? 'running' : 'idle';
    add(clear(progress), progressText(job));
    if (start) start.disabled = Boolean(job.running);
    const rows = (scans.items || []).map(scanRow);
    add(clear(tableBox), rows.length
      ? table(['#', 'Status', 'Started', 'Finished', 'Objects', 'Findings', 'By severity', 'New / resolved', 'Notes'],
              rows, { className: 'data', testid: 'scans-table' })
      : h('div', { testid: 'scans-table' }, empty('No scans yet.')),
      scans.total > kLimit ? h('div', { className: 'pager' },
        offset > 0 ? link(`/scans?offset=${Math.max(0, offset - kLimit)}`, '← Newer') : null,
        h('span', { className: 'muted' }, `${offset + 1}–${Math.min(offset + kLimit, scans.total)} of ${scans.total}`),
        offset + kLimit < scans.total ? link(`/scans?offset=${offset + kLimit}`, 'Older →') : null) : null);
  };

  let timer = null;
  let stopped = false;
  const poll = async () => {
    if (stopped) return;
    const wasRunning = job.running;
    try {
      job = await api('/job', { banner: false });
      if (wasRunning !== job.running || job.running) scans = await api('/scans', { params: { limit: kLimit, offset }, banner: false });
      if (!stopped) paint();
    } catch { /* a missed poll is retried; a 401 has already sent the user to /login */ }
    if (!stopped) timer = setTimeout(poll, job.running ? 1000 : 5000);
  };

  if (start) {
    start.addEventListener('click', async () => {
      start.disabled = true;
      try {
        const r = await api('/scans', { method: 'POST', body: {} });
        job = r.job || job;
        scans = await api('/scans', { params: { limit: kLimit, offset } });
        paint();
        clearTimeout(timer);
        timer = setTimeout(poll, 500);
      } catch {
        start.disabled = Boolean(job.running);
      }
    });
  }

  paint();
  timer = setTimeout(poll, job.running ? 1000 : 5000);
  add(main, h('div', { className: 'title-row' }, h('h1', {}, 'Scans'), start),
      ctx.isOperator ? null : h('p', { className: 'muted' }, 'Starting a scan needs the operator role.'),
      section('Progress', progress), section('History', tableBox));
  return () => { stopped = true; clearTimeout(timer); };
}
