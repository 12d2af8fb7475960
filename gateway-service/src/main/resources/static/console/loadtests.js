// The load tester: starts a server-side load test (POST /api/load-tests), follows it live, stops it.
import { api, badge, errorBox, h, jsonEditor, number, stat } from './lib.js';
import { subscribe } from './live.js';
import { decisionItem } from './monitoring.js';
import { timeChart } from './lib.js';

export function loadTestsPage(main, onLeave) {
  const fnSelect = h('select', { id: 'lt-function', required: true });
  const input = jsonEditor('lt-input', 'Input (JSON)', '{}');
  const mode = h('select', { id: 'lt-mode' }, h('option', { value: 'async' }, 'async'), h('option', { value: 'sync' }, 'sync'));
  const driveConcurrency = h('input', { type: 'radio', name: 'lt-drive', value: 'concurrency', id: 'lt-drive-concurrency',
    checked: true });
  const driveRate = h('input', { type: 'radio', name: 'lt-drive', value: 'rate', id: 'lt-drive-rate' });
  const concurrency = h('input', { type: 'number', id: 'lt-concurrency', min: 1, value: 20 });
  const rate = h('input', { type: 'number', id: 'lt-rate', min: 1, value: 100, disabled: true });
  const duration = h('input', { type: 'number', id: 'lt-duration', min: 1, max: 600, value: 30 });
  const start = h('button', { class: 'primary', id: 'lt-start', type: 'submit' }, 'Start');
  const feedback = h('div', { 'aria-live': 'polite' });
  const toggle = () => {
    concurrency.disabled = !driveConcurrency.checked;
    rate.disabled = !driveRate.checked;
  };
  driveConcurrency.addEventListener('change', toggle);
  driveRate.addEventListener('change', toggle);
  input.area.addEventListener('validity', () => { start.disabled = !input.check().ok; });

  const form = h('form', { class: 'panel', 'aria-label': 'New load test' },
    h('h2', {}, 'New load test'),
    h('div', { class: 'row' }, h('label', { style: 'flex:1 1 220px' }, 'Function', fnSelect), h('label', {}, 'Mode', mode)),
    input.element,
    h('fieldset', { class: 'drive' },
      h('legend', { class: 'small muted' }, 'Drive by'),
      h('div', { class: 'row' }, h('label', { class: 'inline' }, driveConcurrency, 'concurrent callers'),
        h('label', { class: 'inline' }, concurrency, 'callers')),
      h('div', { class: 'row' }, h('label', { class: 'inline' }, driveRate, 'a fixed rate (open loop)'),
        h('label', { class: 'inline' }, rate, 'calls a second'))),
    h('label', {}, 'Duration (s, at most 600)', duration),
    h('div', { class: 'row' }, start), feedback);

  const current = h('section', { class: 'panel', id: 'lt-current', 'aria-label': 'Load test', hidden: true });
  main.append(h('h1', {}, 'Load tester'),
    h('p', { class: 'muted' }, 'Runs inside the gateway, through the same path as API calls, and waits for every result.'),
    h('div', { class: 'grid2' }, form, h('div', {}, h('section', { class: 'panel', 'aria-label': 'Earlier tests' },
      h('h2', {}, 'Earlier tests'), h('ul', { id: 'lt-history', class: 'timeline' })))),
    current);

  let test = null;
  let view = null;
  const show = report => {
    if (!view || view.id !== report.id) view = testView(current, report, onLeave, stop);
    view.update(report);
    test = report;
  };
  const stop = async () => {
    try {
      show((await api('DELETE', '/api/load-tests/' + test.id)).body);
    } catch (e) {
      feedback.replaceChildren(errorBox(e));
    }
  };

  form.addEventListener('submit', async event => {
    event.preventDefault();
    const checked = input.check();
    if (!checked.ok) return;
    const spec = { functionId: fnSelect.value, input: checked.value, mode: mode.value,
      durationSeconds: Number(duration.value) };
    if (driveRate.checked) spec.ratePerSecond = Number(rate.value); else spec.concurrency = Number(concurrency.value);
    start.disabled = true;
    try {
      const { body } = await api('POST', '/api/load-tests', spec);
      feedback.replaceChildren();
      show(body);
    } catch (e) {
      feedback.replaceChildren(errorBox(e, 'lt-error'));
    } finally {
      start.disabled = false;
    }
  });

  onLeave(subscribe(message => {
    if (message.type === 'loadTest') {
      show(message.loadTest);
      if (message.loadTest.endedAt) refreshFinal(message.loadTest.id);
    } else if (message.type === 'scaling' && view && test && !test.endedAt) {
      view.decision(message.event);
    }
  }));
  const refreshFinal = id => api('GET', '/api/load-tests/' + id).then(({ body }) => {
    if (view && view.id === id) view.withDecisions(body);
    history();
  }).catch(() => {});

  const history = () => api('GET', '/api/load-tests').then(({ body }) => {
    document.getElementById('lt-history')?.replaceChildren(...body.map(t => h('li', {},
      h('div', { class: 'row' }, badge(t.state), h('strong', {}, t.functionName),
        h('span', { class: 'small muted' }, `${t.mode}, ${t.concurrency ? t.concurrency + ' callers' : t.ratePerSecond + '/s'}, `
          + `${t.durationSeconds} s`)),
      h('div', { class: 'small' }, `${number(t.succeeded)} succeeded of ${number(t.sent)} sent`
        + (t.latencyMs ? ` · p99 ${number(t.latencyMs.p99, 1)} ms` : '')))));
    const running = body.find(t => !t.endedAt);
    if (running && !test) {
      show(running);
      // the decisions it caused before this page was opened
      api('GET', '/api/load-tests/' + running.id).then(({ body: r }) => view && view.id === r.id && view.withDecisions(r))
        .catch(() => {});
    }
  }).catch(e => feedback.replaceChildren(errorBox(e)));

  api('GET', '/api/functions?size=200').then(({ body }) => {
    fnSelect.replaceChildren(...body.items.filter(f => f.status === 'active')
      .map(f => h('option', { value: f.id }, f.name)));
  }).catch(e => feedback.replaceChildren(errorBox(e))).finally(history);
}

/** The running or finished test: figures, a chart of sent and finished per second, the decisions it caused. */
function testView(container, first, onLeave, stop) {
  const [sentCard, sent] = stat('Sent', 'lt-sent');
  const [okCard, ok] = stat('Succeeded', 'lt-succeeded');
  const [failCard, fail] = stat('Failed · timed out', 'lt-failed');
  const [rejCard, rej] = stat('Rejected · unfinished', 'lt-rejected');
  const [outCard, out] = stat('Outstanding', 'lt-outstanding');
  const [latCard, lat] = stat('Latency p50 / p95 / p99 (ms)', 'lt-latency', true);
  const state = h('span', { id: 'lt-state' });
  const elapsed = h('span', { class: 'small muted', id: 'lt-elapsed' });
  const stopButton = h('button', { class: 'danger', id: 'lt-stop', onclick: stop }, 'Stop');
  const chartHost = h('div', { class: 'chart', id: 'lt-chart', role: 'img', 'aria-label': 'Sent and finished per second' });
  const decisions = h('ul', { class: 'timeline', id: 'lt-decisions', 'aria-label': 'Scaling decisions during the test' });
  const decisionsNote = h('p', { class: 'small muted' }, 'None yet.');
  const seen = new Set();
  container.hidden = false;
  container.replaceChildren(
    h('div', { class: 'row', style: 'justify-content:space-between' },
      h('h2', {}, `${first.functionName}: ${first.mode}, `
        + (first.concurrency ? `${first.concurrency} callers` : `${first.ratePerSecond} calls/s`) + `, ${first.durationSeconds} s`),
      h('div', { class: 'row' }, state, elapsed, stopButton)),
    h('div', { class: 'stats' }, sentCard, okCard, failCard, rejCard, outCard, latCard),
    h('h3', { class: 'small muted' }, 'Per second'), chartHost,
    h('h3', { class: 'small muted' }, 'Scaling decisions while it ran'), decisionsNote, decisions);
  const chart = timeChart(chartHost, [{ label: 'sent/s', color: '--accent' }, { label: 'finished/s', color: '--ok' }],
    onLeave, 700);
  const decision = d => {
    const key = d.id || d.eventId;
    if (seen.has(key)) return;
    seen.add(key);
    decisionsNote.hidden = true;
    decisions.prepend(decisionItem(d));
  };
  return {
    id: first.id,
    decision,
    update(r) {
      state.replaceChildren(badge(r.state));
      elapsed.textContent = `${number(r.elapsedSeconds, 0)} of ${r.durationSeconds} s`;
      stopButton.hidden = Boolean(r.endedAt);
      sent.textContent = number(r.sent);
      ok.textContent = number(r.succeeded);
      fail.textContent = `${number(r.failed)} · ${number(r.timedOut)}`;
      rej.textContent = `${number(r.rejected)} · ${number(r.unfinished)}`;
      out.textContent = number(r.outstanding);
      lat.textContent = r.latencyMs ? `${number(r.latencyMs.p50)} / ${number(r.latencyMs.p95)} / ${number(r.latencyMs.p99)}`
        : '–';
      const startedAt = new Date(r.startedAt).getTime() / 1000;
      // the last second is still being counted; show those before it
      const complete = r.endedAt ? r.seconds : r.seconds.slice(0, -1);
      chart.set([complete.map(s => startedAt + s.second), complete.map(s => s.sent), complete.map(s => s.completed)]);
    },
    withDecisions(r) {
      this.update(r);
      (r.scalingDecisions || []).forEach(decision);
    },
  };
}
