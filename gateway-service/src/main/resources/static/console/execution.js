// One execution: its result, logs, error and every attempt; followed live until it is final.
import { api, badge, dateTime, errorBox, h, json, number, time } from './lib.js';

const FINAL = new Set(['succeeded', 'failed', 'timed_out', 'rejected']);

export function isFinal(status) {
  return FINAL.has(status);
}

/** The attempts of a series, with the wait before each retry. */
function attemptsTable(history) {
  if (!history || history.length === 0) return null;
  let previousEnd = null;
  const rows = history.map(a => {
    const started = a.startedAt ? new Date(a.startedAt).getTime() : null;
    const waited = previousEnd !== null && started !== null ? ((started - previousEnd) / 1000).toFixed(1) + ' s' : '';
    previousEnd = started !== null ? started + (a.durationMs || 0) : null;
    return h('tr', {},
      h('td', { class: 'num' }, a.attempt), h('td', {}, badge(a.status)), h('td', {}, time(a.startedAt)),
      h('td', { class: 'num' }, waited), h('td', { class: 'num' }, number(a.durationMs) + ' ms'),
      h('td', { class: 'small' }, a.instanceId || ''),
      h('td', { class: 'small' }, a.error ? `${a.error.type}: ${a.error.message || ''}` : ''));
  });
  return h('div', { class: 'table-wrap' }, h('table', { class: 'attempts', 'aria-label': 'Attempts' },
    h('thead', {}, h('tr', {}, ['#', 'status', 'started', 'retry after', 'duration', 'instance', 'error']
      .map(c => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows)));
}

function errorDetails(error) {
  if (!error) return null;
  const where = error.line ? ` at line ${error.line}${error.column ? ', column ' + error.column : ''}` : '';
  return h('div', { class: 'error-box', 'data-testid': 'execution-error' },
    h('div', {}, h('strong', {}, error.type), ' ', error.name ? error.name + ': ' : '', error.message || '', where),
    error.stack ? h('details', {}, h('summary', {}, 'Stack'), h('pre', {}, error.stack)) : null);
}

/** The execution as a person reads it. */
export function renderExecution(view, trail = []) {
  return h('div', { class: 'execution', 'data-execution-id': view.executionId, 'data-status': view.status },
    h('div', { class: 'row' },
      badge(view.status),
      trail.length > 1 ? h('span', { class: 'small muted', 'data-testid': 'status-trail' }, trail.join(' → ')) : null,
      h('a', { href: '#/executions/' + view.executionId, class: 'small' }, view.executionId)),
    h('div', { class: 'stats', style: 'margin-top:10px' },
      field('Duration', view.durationMs !== undefined ? number(view.durationMs) + ' ms' : '–'),
      field('Attempts', view.attempts ?? '–'),
      // the function's version that ran it: its code is under the function's versions
      field('Version', view.functionVersion ?? '–'),
      field('Cold start', view.coldStart === undefined ? '–' : view.coldStart ? 'yes' : 'no'),
      field('Instance', view.instanceId || '–'),
      field('Requested', time(view.requestedAt) || '–'),
      field('Finished', time(view.finishedAt) || '–')),
    errorDetails(view.error),
    view.status === 'succeeded' ? h('div', {}, h('h3', { class: 'small muted' }, 'Output'),
      h('pre', { 'data-testid': 'execution-output' }, json(view.output))) : null,
    view.input !== undefined ? h('details', {}, h('summary', {}, 'Input'), h('pre', {}, json(view.input))) : null,
    h('h3', { class: 'small muted' }, 'Console output'),
    h('pre', { 'data-testid': 'execution-logs' }, view.logs ? view.logs : '(none)'),
    view.history ? h('div', {}, h('h3', { class: 'small muted' }, 'Attempts'), attemptsTable(view.history)) : null);
}

function field(label, value) {
  return h('div', { class: 'stat' }, h('div', { class: 'label' }, label), h('div', { class: 'small' }, String(value)));
}

/**
 * Polls an execution until it is final (in attempt series {@code series} or later: a redriven execution reads as
 * its last series' result until the new one starts), rendering each status it passes through into the container.
 * Returns a function that stops following.
 */
export function follow(executionId, container, first, series = 0) {
  let stopped = false;
  const trail = [];
  const show = view => {
    if (trail[trail.length - 1] !== view.status) trail.push(view.status);
    container.replaceChildren(renderExecution(view, trail));
  };
  if (first) show(first);
  const poll = async () => {
    if (stopped) return;
    try {
      const { body } = await api('GET', '/api/executions/' + executionId);
      if (stopped) return;
      const current = (body.series || 0) >= series;
      if (current) show(body);
      if (current && isFinal(body.status)) return;
    } catch (e) {
      if (e.status !== 404) container.replaceChildren(errorBox(e));
    }
    setTimeout(poll, 300);
  };
  poll();
  return () => { stopped = true; };
}

export function executionPage(main, onLeave, executionId) {
  const body = h('div', { class: 'panel' }, 'Loading…');
  main.append(h('h1', {}, 'Execution'), body);
  onLeave(follow(executionId, body));
  api('GET', '/api/executions/' + executionId).then(({ body: view }) => {
    main.querySelector('h1').replaceChildren('Execution of ',
      h('a', { href: '#/functions/' + view.functionId }, 'its function'), ' · ', dateTime(view.requestedAt));
  }).catch(() => {});
}
