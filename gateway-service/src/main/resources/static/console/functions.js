// Functions: the list with search and paging; one function's editor, runs and executions.
import { api, badge, dateTime, errorBox, h, jsonEditor, number, time, toast } from './lib.js';
import { follow, renderExecution } from './execution.js';

const PAGE_SIZE = 20;
const LIMITS = { timeoutMs: [100, 300000], retryCount: [0, 10] };

export const SAMPLES = [
  { label: 'Echo (handler style)', code: 'function handler(input, context) {\n  return input;\n}\n' },
  { label: 'Async handler with console output', code: 'async function handler(input, context) {\n'
      + '  console.log(\'hello from\', context.functionName);\n'
      + '  return { greeting: \'hello \' + ((input && input.name) || \'world\') };\n}\n' },
  { label: 'Function body (the original style)', code: 'const n = input && input.n !== undefined ? input.n : 10;\n'
      + 'return { n, doubled: n * 2 };\n' },
  { label: 'Always fails (retried, then dead-lettered)', code: 'function handler(input) {\n'
      + '  throw new Error(\'this function always fails\');\n}\n' },
  { label: 'Busy for a while (for load tests)', code: 'function handler(input) {\n'
      + '  const end = Date.now() + ((input && input.ms) || 50);\n  while (Date.now() < end) {}\n  return \'done\';\n}\n' },
];

export function functionsPage(main, onLeave) {
  let page = 0;
  const search = h('input', { type: 'search', id: 'function-search', placeholder: 'name or description',
    autocomplete: 'off' });
  const tbody = h('tbody');
  const pager = h('div', { class: 'pager' });
  const status = h('div', { role: 'status', class: 'small muted' });
  main.append(
    h('div', { class: 'row', style: 'justify-content:space-between;margin-bottom:12px' },
      h('h1', { style: 'margin:0' }, 'Functions'),
      h('a', { href: '#/functions/new', class: 'button primary', id: 'new-function' }, 'New function')),
    h('div', { class: 'panel' },
      h('label', {}, 'Search functions', search),
      h('div', { class: 'table-wrap' }, h('table', { 'aria-label': 'Functions' },
        h('thead', {}, h('tr', {}, ['Name', 'Status', 'Triggers', 'Version', 'Timeout', 'Retries', 'Updated']
          .map(c => h('th', { scope: 'col' }, c)))), tbody)),
      status, pager));

  async function load() {
    const q = search.value.trim();
    try {
      const { body } = await api('GET', `/api/functions?page=${page}&size=${PAGE_SIZE}`
        + (q ? '&q=' + encodeURIComponent(q) : ''));
      tbody.replaceChildren(...body.items.map(f => h('tr', { 'data-function': f.name },
        h('td', {}, h('a', { href: '#/functions/' + f.id }, f.name),
          f.description ? h('div', { class: 'small muted' }, f.description) : null),
        h('td', {}, badge(f.status)), h('td', { class: 'small' }, triggers(f)), h('td', { class: 'num' }, f.version),
        h('td', { class: 'num' }, number(f.config.timeoutMs) + ' ms'), h('td', { class: 'num' }, f.config.retryCount),
        h('td', { class: 'small' }, dateTime(f.updatedAt)))));
      const pages = Math.max(1, Math.ceil(body.total / PAGE_SIZE));
      status.textContent = body.total === 0 ? (q ? 'No function matches.' : 'No functions yet.')
        : `${body.total} function${body.total === 1 ? '' : 's'}`;
      pager.replaceChildren(
        h('button', { disabled: page === 0, onclick: () => { page--; load(); } }, 'Previous'),
        h('span', { class: 'small' }, `Page ${page + 1} of ${pages}`),
        h('button', { disabled: page + 1 >= pages, onclick: () => { page++; load(); } }, 'Next'));
    } catch (e) {
      tbody.replaceChildren();
      status.replaceChildren(errorBox(e));
    }
  }
  let debounce;
  search.addEventListener('input', () => { clearTimeout(debounce); debounce = setTimeout(() => { page = 0; load(); }, 250); });
  onLeave(() => clearTimeout(debounce));
  load();
}

/** What runs a function besides calls through the API: its schedule and its URL (who may call it). */
function triggers(f) {
  // neither fires while the function is inactive
  const off = f.status !== 'active' ? ' (while active)' : '';
  const lines = [];
  if (f.config.schedule) lines.push(h('div', {}, 'schedule ', h('code', {}, f.config.schedule), off));
  if (f.config.http) lines.push(h('div', {}, `URL (${f.config.http === 'key' ? 'with a key' : 'public'})${off}`));
  return lines.length ? lines : h('span', { class: 'muted' }, 'calls only');
}

/** The editor of a new (id null) or existing function, with its run panel and executions. */
export async function functionPage(main, onLeave, id) {
  let fn = null;
  if (id) {
    try {
      fn = (await api('GET', '/api/functions/' + id)).body;
    } catch (e) {
      main.append(h('h1', {}, 'Function'), errorBox(e));
      return;
    }
  }
  const title = h('h1', {}, fn ? fn.name : 'New function');
  const name = h('input', { type: 'text', id: 'fn-name', value: fn ? fn.name : '', required: true });
  const description = h('input', { type: 'text', id: 'fn-description', value: fn ? fn.description || '' : '' });
  const timeout = h('input', { type: 'number', id: 'fn-timeout', min: LIMITS.timeoutMs[0], max: LIMITS.timeoutMs[1],
    step: 100, value: fn ? fn.config.timeoutMs : 30000 });
  const retries = h('input', { type: 'number', id: 'fn-retries', min: 0, max: 10, value: fn ? fn.config.retryCount : 3 });
  // blank: no limit of its own (the tenant's, if any, still holds)
  const concurrency = h('input', { type: 'number', id: 'fn-concurrency', min: 1, max: 10000, placeholder: 'none',
    value: fn && fn.config.maxConcurrency != null ? fn.config.maxConcurrency : '' });
  // NAME=value lines, as in a .env file; blank lines and # comments are skipped. Sent only when edited, so a value
  // set through the API that these lines cannot show as it is (one with a line break) survives a save of the rest
  let envShown = fn && fn.config.env ? Object.entries(fn.config.env).map(([k, v]) => `${k}=${v}`).join('\n') : '';
  const envText = h('textarea', { id: 'fn-env', rows: 3, spellcheck: 'false', placeholder: 'TABLE=orders',
    'aria-describedby': 'fn-env-help' }, envShown);
  // a function URL (/fn/<id>): the function answers plain HTTP requests, with a key of this tenant or from anyone
  const httpAccess = h('select', { id: 'fn-http' },
    h('option', { value: 'off', selected: !fn || !fn.config.http }, 'none'),
    h('option', { value: 'key', selected: fn && fn.config.http === 'key' }, 'with a key'),
    h('option', { value: 'public', selected: fn && fn.config.http === 'public' }, 'public'));
  const functionUrl = h('div', { class: 'small', id: 'fn-url' });
  const showUrl = f => {
    const url = f && f.config.http ? `${location.origin}/fn/${f.id}` : null;
    const key = f && f.config.http === 'key' ? '-H "Authorization: Bearer $KEY" ' : '';
    // the call from a terminal: any method and path below the URL, the request being the function's input
    functionUrl.replaceChildren(...(url ? ['Function URL (', key ? 'callers send a key of this tenant'
      : 'anyone may call it', '): ', h('code', { id: 'fn-url-value' }, url),
      h('pre', { id: 'fn-url-curl', style: 'white-space:pre;overflow-x:auto;margin:4px 0 0' },
        `curl -s ${key}'${url}/hello?name=Ada'`)] : []));
  };
  showUrl(fn);
  // when it runs by itself (UTC, or the zone of a CRON_TZ= prefix); blank: only when called
  const schedule = h('input', { type: 'text', id: 'fn-schedule', placeholder: '*/5 * * * *, @hourly, @every 30s',
    value: fn && fn.config.schedule ? fn.config.schedule : '', spellcheck: 'false' });
  // when the schedule typed would fire, or why it would be refused, before anything is saved
  const scheduleNext = h('div', { class: 'small', id: 'fn-schedule-next', 'aria-live': 'polite' });
  let scheduleAsked = 0;
  const showScheduleNext = async () => {
    const text = schedule.value.trim();
    const asked = ++scheduleAsked;
    if (!text) { scheduleNext.replaceChildren(); return; }
    try {
      const { body } = await api('GET', `/api/schedules/next?count=3&schedule=${encodeURIComponent(text)}`,
        undefined, { signIn: false });
      if (asked !== scheduleAsked) return;
      // 2026-12-08T09:00:00+01:00 as 2026-12-08 09:00:00 +01:00 (Z as UTC)
      const shown = body.local.map(at => `${at.slice(0, 10)} ${at.slice(11, 19)} ${at.slice(19).replace('Z', 'UTC')}`);
      scheduleNext.className = 'small muted';
      // each run on one line, wherever the list wraps
      const runs = shown.flatMap((run, i) => [i ? ' · ' : '', h('span', { style: 'white-space:nowrap' }, run)]);
      scheduleNext.replaceChildren(`Schedule: next runs (${body.timeZone}) `, h('span', { id: 'fn-schedule-runs' },
        runs.length ? runs : 'none within 100 years'));
    } catch (e) {
      if (asked !== scheduleAsked) return;
      const bad = e.status === 400 && e.errors.length && e.errors[0].field === 'schedule';
      // only the schedule's own fault is shown as one; a lost session or connection is said as such
      scheduleNext.className = bad ? 'small s-failed' : 'small muted';
      scheduleNext.replaceChildren(bad ? `Schedule: ${e.errors[0].reason}` : e.status === 401
        ? 'The schedule could not be checked: sign in again (saving will ask)'
        : `The schedule could not be checked: ${e.message}`);
    }
  };
  let scheduleTimer = null;
  schedule.addEventListener('input', () => {
    clearTimeout(scheduleTimer);
    scheduleTimer = setTimeout(showScheduleNext, 300);
  });
  // a check due or under way when the page is left is dropped
  onLeave(() => { clearTimeout(scheduleTimer); scheduleAsked++; });
  showScheduleNext();
  const statusSelect = h('select', { id: 'fn-status' },
    h('option', { value: 'active', selected: !fn || fn.status === 'active' }, 'active'),
    h('option', { value: 'inactive', selected: fn && fn.status === 'inactive' }, 'inactive'));
  const editorHost = h('div', { id: 'fn-code' });
  const feedback = h('div', { id: 'fn-feedback', 'aria-live': 'polite' });
  const version = h('div', { class: 'small muted', id: 'fn-version' });
  const showVersion = f => {
    version.textContent = f ? `version ${f.version} · ${f.style || ''} style · updated ${dateTime(f.updatedAt)}` : '';
  };
  showVersion(fn);

  const sample = fn ? null : h('select', { id: 'fn-sample' },
    SAMPLES.map((s, i) => h('option', { value: i }, s.label)));
  const save = h('button', { class: 'primary', id: 'fn-save', type: 'submit' }, fn ? 'Save new version' : 'Create');
  const remove = fn ? h('button', { class: 'danger', type: 'button', id: 'fn-delete' }, 'Delete…') : null;
  // what this save changes, listed with the function's versions (the version's own: cleared once saved)
  const note = h('input', { type: 'text', id: 'fn-note', maxlength: 200, placeholder: 'what this version changes',
    'aria-label': 'Note for this version' });

  const form = h('form', { class: 'panel', 'aria-label': 'Function' },
    h('div', { class: 'row' },
      h('label', { style: 'flex:1 1 200px' }, 'Name', name),
      h('label', { style: 'flex:2 1 280px' }, 'Description', description)),
    sample ? h('label', { style: 'margin-top:10px' }, 'Start from a sample', sample) : null,
    h('div', { style: 'margin:10px 0 4px', class: 'small muted', id: 'fn-code-label' },
      'Code: a script defining handler(input, context), or a function body that reads input and returns'),
    editorHost,
    h('label', { style: 'margin-top:10px' }, 'Environment variables', envText),
    h('div', { class: 'small muted', id: 'fn-env-help' },
      'NAME=value, one per line; the code reads them as process.env.NAME. Shown to everyone who can read the '
        + 'function: not for secrets.'),
    h('div', { class: 'row', style: 'margin-top:10px' },
      h('label', {}, `Timeout (ms, ${number(LIMITS.timeoutMs[0])}–${number(LIMITS.timeoutMs[1])})`, timeout),
      h('label', {}, 'Retries (0–10)', retries),
      h('label', { title: 'runs of this function at once; the rest wait in line (async) or get 429 (sync)' },
        'Max concurrency', concurrency),
      h('label', { title: 'an HTTP endpoint of its own, /fn/<id>: the request is its input, what it returns the '
        + 'answer' }, 'Function URL', httpAccess),
      h('label', { style: 'flex:1 1 240px', title: 'runs by itself: a cron expression (minute hour day month '
        + 'weekday), a macro (@hourly, @daily, …) or @every with an interval, in UTC unless a CRON_TZ= prefix names '
        + 'a zone (CRON_TZ=Europe/Paris 0 9 * * *). Each run is an async invocation whose input is '
        + '{source: "schedule", schedule, time}. Blank: only when called' },
      'Schedule (UTC unless CRON_TZ=)', schedule),
      fn ? h('label', {}, 'Status', statusSelect) : null,
      h('div', { class: 'row', style: 'margin-left:auto' }, note, remove, save)),
    functionUrl, scheduleNext, version, feedback);

  main.append(h('p', { class: 'small' }, h('a', { href: '#/functions' }, '← Functions')), title);
  const layout = fn ? h('div', { class: 'grid2' }, form, h('div', { id: 'run-column' })) : form;
  main.append(layout);

  const cm = CodeMirror(editorHost, {
    value: fn ? fn.code : SAMPLES[0].code, mode: 'javascript', lineNumbers: true, matchBrackets: true,
    tabSize: 2, indentUnit: 2, gutters: ['CodeMirror-linenumbers', 'errors'],
    // Tab leaves the editor, so the page stays keyboard-reachable; Ctrl-] and Ctrl-[ indent
    extraKeys: { Tab: false, 'Shift-Tab': false },
  });
  cm.getInputField().setAttribute('aria-labelledby', 'fn-code-label');
  let marked = [];
  const clearMarks = () => {
    marked.forEach(l => { cm.removeLineClass(l, 'wrap', 'cm-error-line'); cm.setGutterMarker(l, 'errors', null); });
    marked = [];
  };
  cm.on('change', clearMarks);
  // whether the form holds changes not saved (a restore re-reads the page)
  let edited = false;
  cm.on('change', () => { edited = true; });
  form.addEventListener('input', () => { edited = true; });
  form.addEventListener('change', () => { edited = true; });
  if (sample) sample.addEventListener('change', () => cm.setValue(SAMPLES[Number(sample.value)].code));

  const showErrors = error => {
    clearMarks();
    for (const e of error.errors) {
      if (e.field === 'code' && e.line) {
        const line = Math.min(cm.lineCount(), e.line) - 1;
        cm.addLineClass(line, 'wrap', 'cm-error-line');
        cm.setGutterMarker(line, 'errors', h('span', { class: 'error-marker', title: e.reason }, '●'));
        marked.push(line);
        cm.scrollIntoView({ line, ch: Math.max(0, (e.column || 1) - 1) });
      }
    }
    feedback.replaceChildren(errorBox(error, 'fn-error'));
  };

  form.addEventListener('submit', async event => {
    event.preventDefault();
    const entries = new Map();
    const envEdited = !fn || envText.value !== envShown;
    const lines = envEdited ? envText.value.split('\n') : [];
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i].replace(/\r$/, '');
      if (line.trim() === '' || line.trim().startsWith('#')) continue;
      const eq = line.indexOf('=');
      const variable = eq < 1 ? '' : line.slice(0, eq).trim();
      const problem = !variable ? `line ${i + 1} is not NAME=value`
        : entries.has(variable) ? `line ${i + 1} sets ${variable} again` : null;
      if (problem) {
        showErrors({ message: `Environment variables: ${problem}`,
          errors: [{ field: 'config.env', reason: problem }] });
        envText.focus();
        return;
      }
      // the value is everything after the first '=', as written
      entries.set(variable, line.slice(eq + 1));
    }
    const config = { timeoutMs: Number(timeout.value), retryCount: Number(retries.value),
      maxConcurrency: concurrency.value === '' ? null : Number(concurrency.value) };
    if (envEdited) config.env = Object.fromEntries(entries);
    // sent only when changed, as the variables are: a save of the rest then means the same to any gateway
    if (httpAccess.value !== ((fn && fn.config.http) || 'off')) config.http = httpAccess.value;
    if (schedule.value.trim() !== ((fn && fn.config.schedule) || '')) config.schedule = schedule.value.trim() || null;
    const spec = { name: name.value.trim(), description: description.value, code: cm.getValue(), config };
    // the version this form was loaded with: a function changed meanwhile (another tab, the API) is a 409, not undone
    if (fn) Object.assign(spec, { status: statusSelect.value, version: fn.version });
    if (note.value.trim()) spec.note = note.value.trim();
    save.disabled = true;
    try {
      const { body } = fn ? await api('PUT', '/api/functions/' + fn.id, spec) : await api('POST', '/api/functions', spec);
      if (!fn) {
        location.hash = '#/functions/' + body.id;
        return;
      }
      fn = body;
      envShown = envText.value;
      title.textContent = fn.name;
      showVersion(fn);
      showUrl(fn);
      feedback.replaceChildren(h('div', { class: 'ok-box', id: 'fn-saved' }, `Saved version ${fn.version}.`));
      edited = false;
      note.value = '';
      main.dispatchEvent(new CustomEvent('saved'));
    } catch (e) {
      showErrors(e);
    } finally {
      save.disabled = false;
    }
  });

  if (remove) {
    const dialog = h('dialog', { id: 'fn-delete-dialog', 'aria-labelledby': 'fn-delete-title' },
      h('h2', { id: 'fn-delete-title' }, `Delete ${fn.name}?`),
      h('p', {}, 'Executors stop running it; invocations still queued end rejected. Its stored executions stay '
        + 'until their retention ends.'),
      h('form', { method: 'dialog', class: 'row', style: 'justify-content:flex-end' },
        h('button', { value: 'cancel', autofocus: true }, 'Cancel'),
        h('button', { value: 'delete', class: 'danger', id: 'fn-delete-confirm' }, 'Delete')));
    main.append(dialog);
    remove.addEventListener('click', () => dialog.showModal());
    dialog.addEventListener('close', async () => {
      if (dialog.returnValue !== 'delete') return;
      try {
        await api('DELETE', '/api/functions/' + fn.id);
        toast(`${fn.name} deleted`);
        location.hash = '#/functions';
      } catch (e) {
        feedback.replaceChildren(errorBox(e));
      }
    });
  }

  if (fn) {
    runPanel(main.querySelector('#run-column'), onLeave, () => fn);
    executionsPanel(main, onLeave, fn);
    versionsPanel(main, onLeave, () => fn, () => edited);
  }
}

/** Settings a version holds, as the API names them, shown as text to compare. */
const SETTINGS = ['timeoutMs', 'retryCount', 'maxConcurrency', 'env', 'http', 'schedule'];
const shownSetting = value => value === undefined || value === null ? 'none'
  : typeof value === 'object' ? JSON.stringify(value) : String(value);

/**
 * The lines of `from` and `to` as a list of [mark, line]: ' ' in both, '-' only in `from`, '+' only in `to` (a longest
 * common subsequence of what lies between their common first and last lines; null when that is too long to compare
 * here).
 */
function lineDiff(from, to) {
  const a = from.split('\n');
  const b = to.split('\n');
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const n = a.length - head - tail;
  const m = b.length - head - tail;
  if ((n + 1) * (m + 1) > 4_000_000) return null;
  // lcs[i * (m + 1) + j]: the longest common subsequence of the middle parts of a from i and b from j (one array)
  const w = m + 1;
  const lcs = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * w + j] = a[head + i] === b[head + j] ? lcs[(i + 1) * w + j + 1] + 1
        : Math.max(lcs[(i + 1) * w + j], lcs[i * w + j + 1]);
    }
  }
  const lines = a.slice(0, head).map(line => [' ', line]);
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[head + i] === b[head + j]) { lines.push([' ', a[head + i]]); i++; j++; }
    else if (i < n && (j === m || lcs[(i + 1) * w + j] >= lcs[i * w + j + 1])) { lines.push(['-', a[head + i]]); i++; }
    else { lines.push(['+', b[head + j]]); j++; }
  }
  return lines.concat(a.slice(a.length - tail).map(line => [' ', line]));
}

/**
 * The function's versions, newest first: each earlier one can be compared with the current one (what restoring it
 * would change) and restored, as a new version with its code, description and settings.
 */
function versionsPanel(main, onLeave, current, edited) {
  const tbody = h('tbody');
  const status = h('div', { class: 'small muted', role: 'status', id: 'versions-status' });
  const kept = h('span', { class: 'small muted', id: 'versions-kept' });
  let shown = null;
  const dialog = h('dialog', { id: 'version-restore-dialog', 'aria-labelledby': 'version-restore-title' });
  main.append(dialog);

  const compare = async (v, row, button) => {
    if (shown) { shown.remove(); }
    if (shown && shown.dataset.version === String(v.version)) { shown = null; button.setAttribute('aria-expanded', 'false'); return; }
    tbody.querySelectorAll('button[aria-expanded]').forEach(b => b.setAttribute('aria-expanded', 'false'));
    const cell = h('td', { colspan: 6 });
    shown = h('tr', { class: 'version-detail', 'data-version': v.version, id: 'version-detail' }, cell);
    row.after(shown);
    button.setAttribute('aria-expanded', 'true');
    cell.append(h('div', { class: 'muted small' }, 'Loading…'));
    try {
      const old = (await api('GET', `/api/functions/${current().id}/versions/${v.version}`)).body;
      const fn = current();
      const changes = [];
      if ((old.description || '') !== (fn.description || '')) {
        changes.push(['description', fn.description || '(none)', old.description || '(none)']);
      }
      for (const key of SETTINGS) {
        const now = shownSetting(fn.config[key]);
        const then = shownSetting(old.config[key]);
        if (now !== then) changes.push([`config.${key}`, now, then]);
      }
      const diff = lineDiff(fn.code, old.code);
      const codeChanged = diff === null || diff.some(([mark]) => mark !== ' ');
      cell.replaceChildren(
        h('div', { class: 'small' }, `Restoring version ${old.version} would change the current version `
          + `(${fn.version}) like this:`),
        changes.length ? h('ul', { class: 'small', id: 'version-settings' }, changes.map(([field, now, then]) =>
          h('li', {}, h('code', {}, field), ': ', now, ' → ', then))) : h('div', { class: 'small muted' },
          'Its description and settings are the same.'),
        !codeChanged ? h('div', { class: 'small muted' }, 'Its code is the same.')
          : diff === null ? h('div', {}, h('div', { class: 'small muted' }, 'Too many lines differ to compare here; '
            + `version ${old.version}'s code:`), h('pre', { class: 'diff', id: 'version-code' }, old.code))
          : h('pre', { class: 'diff', id: 'version-diff', 'aria-label': `code of version ${fn.version} against `
            + `version ${old.version}: lines marked - go, lines marked + come` },
            diff.map(([mark, line]) => h('span', { class: mark === '+' ? 'diff-add' : mark === '-' ? 'diff-del'
              : 'diff-same' }, `${mark} ${line}`))));
    } catch (e) {
      cell.replaceChildren(errorBox(e));
    }
  };

  const restoreNote = h('input', { type: 'text', id: 'version-restore-note', maxlength: 200 });
  // Enter in the note restores, as the dialog's Restore button does
  restoreNote.addEventListener('keydown', event => {
    if (event.key === 'Enter') { event.preventDefault(); dialog.close('restore'); }
  });
  const restore = v => {
    const fn = current();
    restoreNote.value = '';
    restoreNote.placeholder = `restored version ${v.version}`;
    dialog.replaceChildren(
      h('h2', { id: 'version-restore-title' }, `Restore version ${v.version}?`),
      h('p', {}, `Version ${fn.version + 1} gets the code, description and settings of version ${v.version}; the `
        + `name and status stay. Version ${fn.version} is kept among the earlier versions.`),
      edited() ? h('p', { class: 's-failed' }, 'The form has changes not saved: they are lost.') : null,
      h('label', {}, 'Note for the new version', restoreNote),
      h('form', { method: 'dialog', class: 'row', style: 'justify-content:flex-end' },
        h('button', { value: 'cancel', autofocus: true }, 'Cancel'),
        h('button', { value: 'restore', class: 'primary', id: 'version-restore-confirm' }, 'Restore')));
    dialog.onclose = async () => {
      if (dialog.returnValue !== 'restore') return;
      try {
        // the version this page shows: a function changed meanwhile is a 409, not overwritten unseen
        const { body } = await api('POST', `/api/functions/${fn.id}/versions/${v.version}/restore`,
          { version: fn.version, ...(restoreNote.value.trim() ? { note: restoreNote.value.trim() } : {}) });
        toast(`Version ${v.version} restored as version ${body.version}`);
        // the form, the run panel and this list all show the new version
        window.dispatchEvent(new HashChangeEvent('hashchange'));
      } catch (e) {
        status.replaceChildren(errorBox(e, 'version-restore-error'));
      }
    };
    dialog.returnValue = '';
    dialog.showModal();
  };

  const row = v => {
    const view = h('button', { type: 'button', class: 'small', 'aria-expanded': 'false',
      'data-compare': v.version, 'aria-label': `Compare version ${v.version} with the current one` }, 'Compare');
    const tr = h('tr', { 'data-version': v.version },
      h('td', {}, v.version), h('td', { class: 'small' }, dateTime(v.savedAt)),
      h('td', { class: 'small' }, v.note || ''),
      h('td', { class: 'num small' }, number(v.codeBytes) + ' B'),
      h('td', { class: 'small' }, v.status),
      h('td', {}, h('div', { class: 'row' },
        h('button', { type: 'button', class: 'small', 'data-executions': v.version,
          'aria-label': `Executions of version ${v.version}`,
          onclick: () => main.dispatchEvent(new CustomEvent('show-version', { detail: v.version })) }, 'Executions'),
        v.current ? h('span', { class: 'small muted' }, 'current') : [view,
          h('button', { type: 'button', class: 'small', 'data-restore': v.version, onclick: () => restore(v),
            'aria-label': `Restore version ${v.version}…` }, 'Restore…')])));
    view.addEventListener('click', () => compare(v, tr, view));
    return tr;
  };

  const load = async () => {
    try {
      const { body } = await api('GET', `/api/functions/${current().id}/versions`);
      shown = null;
      tbody.replaceChildren(...body.items.map(row));
      kept.textContent = `the last ${number(body.kept)} are kept`;
      status.replaceChildren(body.items.length < 2 ? 'No earlier versions yet: each save keeps the one it replaces.'
        : '');
    } catch (e) {
      status.replaceChildren(errorBox(e));
    }
  };
  main.append(h('section', { class: 'panel', 'aria-label': 'Versions' },
    h('div', { class: 'row', style: 'justify-content:space-between' }, h('h2', {}, 'Versions'), kept),
    h('div', { class: 'table-wrap' }, h('table', { id: 'versions' },
      h('thead', {}, h('tr', {}, ['Version', 'Saved', 'Note', 'Code', 'Status', '']
        .map(c => h('th', { scope: 'col' }, c)))), tbody)), status));
  const onSaved = () => load();
  main.addEventListener('saved', onSaved);
  onLeave(() => { main.removeEventListener('saved', onSaved); dialog.close(); });
  load();
}

function runPanel(column, onLeave, current) {
  const input = jsonEditor('run-input', 'Input (JSON)', '{}');
  const mode = h('select', { id: 'run-mode' }, h('option', { value: 'sync' }, 'sync: wait for the result'),
    h('option', { value: 'async' }, 'async: queue it, then follow'));
  const run = h('button', { class: 'primary', id: 'run-button', type: 'submit' }, 'Run');
  const result = h('div', { id: 'run-result', 'aria-live': 'polite' });
  // the same call from a terminal, by the function's name, with this input and mode (the key is not shown)
  const curl = h('pre', { id: 'run-curl', class: 'small', style: 'white-space:pre;overflow-x:auto' });
  const fromTerminal = h('details', { style: 'margin-top:8px' }, h('summary', { class: 'small' }, 'From a terminal'),
    curl);
  const showCurl = () => {
    const checked = input.check();
    const body = JSON.stringify({ input: checked.ok ? checked.value : {} }).replaceAll("'", "'\\''");
    const url = `${location.origin}/api/functions/${encodeURIComponent(current().name)}/execute`
      + (mode.value === 'async' ? '?mode=async' : '');
    curl.textContent = `curl -s -X POST -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \\\n`
      + `  '${url}' \\\n  -d '${body}'`
      // async: the result with one more request, which waits for it
      + (mode.value === 'async' ? `\n# then, with the executionId it answers:\ncurl -s -H "Authorization: Bearer $KEY" `
        + `'${location.origin}/api/executions/<executionId>?wait=30'` : '');
  };
  input.area.addEventListener('validity', () => { run.disabled = !input.check().ok; showCurl(); });
  mode.addEventListener('change', showCurl);
  fromTerminal.addEventListener('toggle', showCurl);
  let stopFollowing = () => {};
  onLeave(() => stopFollowing());
  const form = h('form', { class: 'panel', 'aria-label': 'Run' }, h('h2', {}, 'Run'), input.element,
    h('div', { class: 'row', style: 'margin-top:8px' }, h('label', {}, 'Mode', mode), run), fromTerminal, result);
  column.append(form);
  showCurl();
  form.addEventListener('submit', async event => {
    event.preventDefault();
    const checked = input.check();
    if (!checked.ok) return;
    stopFollowing();
    run.disabled = true;
    result.replaceChildren(h('div', { class: 'muted' }, 'Running…'));
    try {
      const async = mode.value === 'async';
      const { status, body } = await api('POST', `/api/functions/${current().id}/execute${async ? '?mode=async' : ''}`,
        { input: checked.value });
      if (status === 200) {
        result.replaceChildren(renderExecution(body));
      } else {
        stopFollowing = follow(body.executionId, result, { executionId: body.executionId, status: body.status });
      }
      column.dispatchEvent(new CustomEvent('ran', { bubbles: true }));
    } catch (e) {
      result.replaceChildren(errorBox(e));
    } finally {
      run.disabled = false;
    }
  });
}

function executionsPanel(main, onLeave, fn) {
  const filter = h('select', { id: 'executions-status' }, h('option', { value: '' }, 'all'),
    ['succeeded', 'failed', 'timed_out', 'rejected', 'running', 'queued']
      .map(s => h('option', { value: s }, s.replace('_', ' '))));
  // the runs of one version of the function (blank: all)
  const version = h('input', { type: 'number', id: 'executions-version', min: 1, placeholder: 'all',
    style: 'width:6em' });
  const tbody = h('tbody');
  const more = h('button', { hidden: true }, 'Older executions');
  const status = h('div', { class: 'small muted', role: 'status', id: 'executions-note' });
  let next = null;
  const row = e => h('tr', { 'data-execution-id': e.executionId },
    h('td', { class: 'small' }, time(e.requestedAt)), h('td', {}, badge(e.status)),
    h('td', { class: 'small' }, e.functionVersion ? 'v' + e.functionVersion : ''),
    h('td', { class: 'num' }, e.durationMs !== undefined ? number(e.durationMs) + ' ms' : ''),
    h('td', { class: 'num' }, e.attempts ?? ''), h('td', {}, e.coldStart ? 'cold' : ''),
    h('td', { class: 'small' }, e.error ? e.error.message : ''),
    h('td', {}, h('a', { href: '#/executions/' + e.executionId, class: 'small' }, 'details')));
  const load = async (append) => {
    const url = append && next ? next
      : `/api/functions/${fn.id}/logs?limit=20` + (filter.value ? '&status=' + filter.value : '')
        + (version.value ? '&version=' + encodeURIComponent(version.value) : '');
    try {
      const { body, headers } = await api('GET', url);
      const link = headers.get('Link');
      const match = link && /<([^>]+)>;\s*rel="next"/.exec(link);
      next = match ? match[1] : null;
      more.hidden = !next;
      const rows = body.map(row);
      if (append) tbody.append(...rows); else tbody.replaceChildren(...rows);
      status.textContent = tbody.children.length > 0 ? '' : !version.value && !filter.value ? 'No executions yet.'
        : next ? 'None among the newest executions: "Older executions" looks further.' : 'None match.';
    } catch (e) {
      status.replaceChildren(errorBox(e));
    }
  };
  filter.addEventListener('change', () => load(false));
  version.addEventListener('change', () => load(false));
  // a version's "Executions" button in the versions panel
  const onShowVersion = event => {
    version.value = event.detail;
    load(false);
    section.scrollIntoView({ block: 'start' });
  };
  main.addEventListener('show-version', onShowVersion);
  onLeave(() => main.removeEventListener('show-version', onShowVersion));
  more.addEventListener('click', () => load(true));
  const refresh = h('button', { type: 'button', id: 'executions-refresh', onclick: () => load(false) }, 'Refresh');
  const section = h('section', { class: 'panel', 'aria-label': 'Executions' },
    h('div', { class: 'row', style: 'justify-content:space-between' }, h('h2', {}, 'Executions'),
      h('div', { class: 'row' }, h('label', {}, 'Status', filter), h('label', {}, 'Version', version), refresh)),
    h('div', { class: 'table-wrap' }, h('table', { id: 'executions' },
      h('thead', {}, h('tr', {}, ['Requested', 'Status', 'Version', 'Duration', 'Attempts', '', 'Error', '']
        .map(c => h('th', { scope: 'col' }, c)))), tbody)), status, more);
  main.append(section);
  // a run shows up in the list once stored, usually within a second
  const onRan = () => setTimeout(() => load(false), 1200);
  main.addEventListener('ran', onRan);
  onLeave(() => main.removeEventListener('ran', onRan));
  load(false);
}
