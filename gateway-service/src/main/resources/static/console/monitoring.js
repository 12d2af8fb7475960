// Monitoring: the live snapshot every second, the scaler's decisions and recent executions, with 15 minutes of history.
import { api, badge, errorBox, h, number, stat, time, timeChart } from './lib.js';
import { subscribe } from './live.js';

/** One scaling decision, from the live stream or the history (their field names differ slightly). */
export function decisionItem(d) {
  const action = String(d.action || '').toLowerCase();
  return h('li', { 'data-action': action },
    h('div', { class: 'row' }, h('span', { class: 'small muted' }, time(d.timestamp)),
      h('strong', {}, action.replace('_', ' ')), h('span', {}, `${d.fromInstances} → ${d.toInstances} instances`)),
    h('div', { class: 'small', 'data-testid': 'decision-reason' }, d.reason),
    h('div', { class: 'small muted' }, `queued ${number(d.lag)} · arriving ${number(d.arrivalRate, 1)}/s · `
      + `finishing ${number(d.completionRate, 1)}/s`));
}

export function monitoringPage(main, onLeave) {
  const [acceptedCard, accepted] = stat('Accepted / s', 'm-accepted');
  const [finishedCard, finished] = stat('Finished / s', 'm-finished');
  const [execCard, exec] = stat('Execution p50 / p95 / p99 (ms)', 'm-exec', true);
  const [waitCard, wait] = stat('Queue wait p50 / p95 / p99 (ms)', 'm-wait', true);
  const [depthCard, depth] = stat('Queue depth', 'm-depth');
  const [instCard, inst] = stat('Instances / desired', 'm-instances');
  const [failCard, fail] = stat('Failed · timed out (last min)', 'm-failed');
  const [lagCard, lag] = stat('Stored after (p99 ms)', 'm-persistence');
  const chartHost = h('div', { class: 'chart', id: 'throughput-chart', role: 'img',
    'aria-label': 'Accepted and finished per second over the last 15 minutes' });
  const decisions = h('ul', { class: 'timeline', id: 'scaling-timeline', 'aria-label': 'Scaling decisions' });
  const recent = h('tbody', { id: 'recent-executions' });
  const problems = h('div');
  main.append(h('h1', {}, 'Monitoring'), problems,
    h('div', { class: 'panel' }, h('div', { class: 'stats' }, acceptedCard, finishedCard, execCard, waitCard, depthCard,
      instCard, failCard, lagCard)),
    h('div', { class: 'panel' }, h('h2', {}, 'Throughput'), chartHost),
    h('div', { class: 'grid2' },
      h('section', { class: 'panel', 'aria-label': 'Recent executions' }, h('h2', {}, 'Recent executions'),
        h('div', { class: 'table-wrap' }, h('table', {},
          h('thead', {}, h('tr', {}, ['Finished', 'Status', 'Duration', 'Attempt', 'Execution']
            .map(c => h('th', { scope: 'col' }, c)))), recent))),
      h('section', { class: 'panel', 'aria-label': 'Scaling' }, h('h2', {}, 'Scaling decisions'), decisions)));

  const chart = timeChart(chartHost, [{ label: 'accepted/s', color: '--accent' }, { label: 'finished/s', color: '--ok' }],
    onLeave);
  const p = x => x ? `${number(x.p50)} / ${number(x.p95)} / ${number(x.p99)}` : '–';

  api('GET', '/api/metrics/executions/history?window=15m&step=1s').then(({ body }) => {
    const points = body.points;
    chart.seed([points.map(pt => new Date(pt.at).getTime() / 1000), points.map(pt => pt.stats.accepted),
      points.map(pt => pt.stats.completed)]);
  }).catch(e => problems.replaceChildren(errorBox(e)));
  api('GET', '/api/metrics/scaling/history?limit=20').then(({ body }) => {
    decisions.append(...body.map(decisionItem));
  }).catch(e => problems.replaceChildren(errorBox(e)));

  onLeave(subscribe(message => {
    if (message.type === 'snapshot') {
      const s = message.snapshot;
      accepted.textContent = number(s.lastSecond.accepted);
      finished.textContent = number(s.lastSecond.completed);
      exec.textContent = p(s.lastMinute.executionMs);
      wait.textContent = p(s.lastMinute.queueWaitMs);
      depth.textContent = number(s.queueDepth);
      // desired is unknown (negative) until the scaler's next decision reaches a freshly started monitor
      inst.textContent = `${s.instances} / ${s.desiredInstances > 0 ? s.desiredInstances : '–'}`;
      fail.textContent = `${number(s.lastMinute.failed)} · ${number(s.lastMinute.timedOut)}`;
      lag.textContent = s.persistence && s.persistence.lagP99Ms != null ? number(s.persistence.lagP99Ms) : '–';
      const t = Math.floor(new Date(s.at).getTime() / 1000);
      if (t > chart.lastTime()) chart.push(t, s.lastSecond.accepted, s.lastSecond.completed);
    } else if (message.type === 'scaling') {
      decisions.prepend(decisionItem(message.event));
      while (decisions.children.length > 50) decisions.lastChild.remove();
    } else if (message.type === 'execution') {
      const e = message.event;
      recent.prepend(h('tr', {}, h('td', { class: 'small' }, time(e.finishedAt)), h('td', {}, badge(e.status)),
        h('td', { class: 'num' }, number(e.durationMs) + ' ms'), h('td', { class: 'num' }, e.attempt),
        h('td', { class: 'small' }, h('a', { href: '#/executions/' + e.executionId }, e.executionId.slice(0, 13) + '…'))));
      while (recent.children.length > 20) recent.lastChild.remove();
    }
  }));
}
