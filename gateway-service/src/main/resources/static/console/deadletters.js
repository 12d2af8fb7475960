// Dead letters: invocations whose retries ran out (or that a retry would only repeat); inspect, redrive
// (optionally with new input), discard.
import { api, dateTime, errorBox, h, json, jsonEditor, toast } from './lib.js';
import { follow } from './execution.js';

export function deadLettersPage(main, onLeave) {
  const functionFilter = h('select', { id: 'dl-function' }, h('option', { value: '' }, 'all functions'));
  const tbody = h('tbody');
  const status = h('div', { class: 'small muted', role: 'status', id: 'dl-status' });
  const more = h('button', { type: 'button', id: 'dl-more', hidden: true }, 'Older dead letters');
  const selectAll = h('input', { type: 'checkbox', 'aria-label': 'Select all' });
  const redriveSelected = h('button', { id: 'dl-redrive-selected', disabled: true }, 'Redrive selected');
  const discardSelected = h('button', { id: 'dl-discard-selected', class: 'danger', disabled: true }, 'Discard selected');
  const names = new Map();
  const refresh = h('button', { type: 'button', id: 'dl-refresh' }, 'Refresh');
  const stops = [];
  onLeave(() => stops.forEach(stop => stop()));

  main.append(h('h1', {}, 'Dead letters'),
    h('p', { class: 'muted' }, 'Invocations whose retries ran out, or whose code failed in a way a retry would '
      + 'only repeat. Redrive runs one again as a new attempt series on the same execution; discard removes it.'),
    h('div', { class: 'panel' },
      h('div', { class: 'row', style: 'justify-content:space-between' },
        h('div', { class: 'row' }, h('label', {}, 'Function', functionFilter), refresh),
        h('div', { class: 'row' }, redriveSelected, discardSelected)),
      h('div', { class: 'table-wrap' }, h('table', { 'aria-label': 'Dead letters', id: 'dead-letters' },
        h('thead', {}, h('tr', {}, h('th', {}, selectAll),
          ['Function', 'Execution', 'Attempts', 'Last error', 'Dead-lettered', ''].map(c => h('th', { scope: 'col' }, c)))),
        tbody)),
      status, more));

  const checked = () => [...tbody.querySelectorAll('input[type=checkbox]:checked')].map(c => c.value);
  const updateBulk = () => {
    const n = checked().length;
    redriveSelected.disabled = discardSelected.disabled = n === 0;
    redriveSelected.textContent = n ? `Redrive ${n} selected` : 'Redrive selected';
    discardSelected.textContent = n ? `Discard ${n} selected` : 'Discard selected';
  };
  selectAll.addEventListener('change', () => {
    tbody.querySelectorAll('input[type=checkbox]').forEach(c => { c.checked = selectAll.checked; });
    updateBulk();
  });

  const redrive = async (letter, input) => {
    const { body } = await api('POST', `/api/dead-letters/${letter.executionId}/redrive`,
      input === undefined ? undefined : { input });
    return body;
  };
  const discard = letter => api('DELETE', '/api/dead-letters/' + letter.executionId);

  const rowOf = letter => {
    const details = h('tr', { hidden: true, class: 'dl-details' });
    const box = h('input', { type: 'checkbox', value: letter.executionId,
      'aria-label': 'Select ' + letter.executionId, onchange: updateBulk });
    const inspect = h('button', { type: 'button', 'aria-expanded': 'false' }, 'Inspect');
    const row = h('tr', { 'data-execution-id': letter.executionId },
      h('td', {}, box),
      h('td', {}, h('a', { href: '#/functions/' + letter.functionId }, names.get(letter.functionId) || letter.functionId)),
      h('td', { class: 'small' }, h('a', { href: '#/executions/' + letter.executionId }, letter.executionId.slice(0, 13) + '…')),
      h('td', { class: 'num' }, letter.attempts),
      h('td', { class: 'small' }, letter.lastError ? `${letter.lastError.type}: ${letter.lastError.message}` : ''),
      h('td', { class: 'small' }, dateTime(letter.deadLetteredAt)),
      h('td', {}, inspect));
    inspect.addEventListener('click', () => {
      const open = details.hidden;
      details.hidden = !open;
      inspect.setAttribute('aria-expanded', String(open));
      if (open && !details.firstChild) details.append(h('td', { colspan: 7 }, detailsOf(letter, row, details)));
    });
    return [row, details];
  };

  const detailsOf = (letter, row, detailsRow) => {
    const input = jsonEditor('dl-input-' + letter.executionId, 'Input for the redrive (JSON)', json(letter.input));
    const result = h('div', { 'aria-live': 'polite' });
    const redriveButton = h('button', { class: 'primary', type: 'button', 'data-action': 'redrive' }, 'Redrive');
    const discardButton = h('button', { class: 'danger', type: 'button', 'data-action': 'discard' }, 'Discard');
    input.area.addEventListener('validity', () => { redriveButton.disabled = !input.check().ok; });
    redriveButton.addEventListener('click', async () => {
      const checkedInput = input.check();
      if (!checkedInput.ok) return;
      try {
        const edited = JSON.stringify(checkedInput.value) !== JSON.stringify(letter.input);
        const redriven = await redrive(letter, edited ? checkedInput.value : undefined);
        row.remove();
        detailsRow.hidden = false;
        detailsRow.replaceChildren(h('td', { colspan: 7 },
          h('div', { class: 'ok-box' }, `Redriven as attempt series ${redriven.series}: `), result));
        stops.push(follow(redriven.executionId, result, undefined, redriven.series));
      } catch (e) {
        result.replaceChildren(errorBox(e));
      }
    });
    discardButton.addEventListener('click', async () => {
      try {
        await discard(letter);
        row.remove();
        detailsRow.remove();
        toast('Discarded ' + letter.executionId);
      } catch (e) {
        result.replaceChildren(errorBox(e));
      }
    });
    return h('div', {},
      h('div', { class: 'grid2' },
        h('div', {}, input.element),
        h('div', {}, h('h3', { class: 'small muted' }, 'Last error'),
          h('pre', {}, letter.lastError ? `${letter.lastError.type}: ${letter.lastError.message}` : '(none)'))),
      h('h3', { class: 'small muted' }, 'Attempts'),
      h('div', { class: 'table-wrap' }, h('table', { class: 'attempts' },
        h('thead', {}, h('tr', {}, ['#', 'status', 'started', 'duration', 'instance', 'error'].map(c => h('th', {}, c)))),
        h('tbody', {}, (letter.history || []).map(a => h('tr', {}, h('td', {}, a.attempt), h('td', {}, a.status),
          h('td', {}, dateTime(a.startedAt)), h('td', { class: 'num' }, a.durationMs + ' ms'),
          h('td', { class: 'small' }, a.instanceId), h('td', { class: 'small' }, a.error ? a.error.message : '')))))),
      h('div', { class: 'row', style: 'margin-top:10px' }, redriveButton, discardButton), result);
  };

  let letters = [];
  let next = null;
  const describe = () => {
    status.textContent = letters.length === 0 ? 'No dead letters.'
      : `${letters.length} dead letter(s), newest first` + (next ? '; older ones below' : '');
  };
  const load = async (append) => {
    const url = append === true && next ? next
      : '/api/dead-letters' + (functionFilter.value ? '?functionId=' + functionFilter.value + '&limit=100' : '?limit=100');
    try {
      const { body, headers } = await api('GET', url);
      const link = headers.get('Link');
      const match = link && /<([^>]+)>;\s*rel="next"/.exec(link);
      next = match ? match[1] : null;
      more.hidden = !next;
      if (append === true) {
        letters = letters.concat(body);
        tbody.append(...body.flatMap(rowOf));
      } else {
        letters = body;
        tbody.replaceChildren(...letters.flatMap(rowOf));
        selectAll.checked = false;
      }
      updateBulk();
      describe();
    } catch (e) {
      status.replaceChildren(errorBox(e));
    }
  };
  // the platform resolves dead letters through Kafka, so a reload right away may still list them: rows that
  // were redriven or discarded go from the page at once
  const bulk = async (action, label) => {
    const ids = new Set(checked());
    const chosen = letters.filter(l => ids.has(l.executionId));
    const outcomes = await Promise.allSettled(chosen.map(action));
    outcomes.forEach((outcome, i) => {
      if (outcome.status === 'fulfilled') {
        tbody.querySelectorAll(`tr[data-execution-id="${chosen[i].executionId}"]`).forEach(r => {
          r.nextElementSibling?.classList.contains('dl-details') && r.nextElementSibling.remove();
          r.remove();
        });
        letters = letters.filter(l => l !== chosen[i]);
      }
    });
    const failed = outcomes.filter(o => o.status === 'rejected');
    toast(`${label} ${chosen.length - failed.length} of ${chosen.length}`
      + (failed.length ? `; ${failed[0].reason.message}` : ''));
    selectAll.checked = false;
    updateBulk();
    describe();
  };
  redriveSelected.addEventListener('click', () => bulk(l => redrive(l), 'Redrove'));
  discardSelected.addEventListener('click', () => {
    if (confirm(`Discard ${checked().length} dead letter(s)? They cannot be redriven afterwards.`)) {
      bulk(discard, 'Discarded');
    }
  });
  functionFilter.addEventListener('change', () => load(false));
  refresh.addEventListener('click', () => load(false));
  more.addEventListener('click', () => load(true));

  api('GET', '/api/functions?size=200').then(({ body }) => {
    body.items.forEach(f => {
      names.set(f.id, f.name);
      functionFilter.append(h('option', { value: f.id }, f.name));
    });
  }).catch(() => {}).finally(() => load(false));
}
