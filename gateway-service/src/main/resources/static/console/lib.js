// Small helpers shared by the console's pages: DOM building, the REST API, formatting.

/** Builds an element: h('a', {href: '#/x', class: 'y', onclick: fn}, 'text', child…). */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'value') el.value = value;
    else if (key === 'checked' || key === 'disabled' || key === 'selected') el[key] = Boolean(value);
    else el.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** A refusal from the API: its status, message and the fields at fault. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body && body.message ? body.message : `the server answered ${status}`);
    this.status = status;
    this.errors = (body && body.errors) || [];
  }
}

/** Calls the REST API; resolves with {status, body, headers}, rejects with ApiError on a 4xx or 5xx. */
export async function api(method, path, body, { signIn = true } = {}) {
  const init = { method, headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, { message: 'the platform cannot be reached (' + e.message + ')' });
  }
  const text = await response.text();
  let json = null;
  if (text) {
    try { json = JSON.parse(text); } catch { json = { message: text }; }
  }
  // the key is missing or no longer accepted: the console asks for it (its own check of the session aside)
  // (not for a check made in the background, which must not take the page and its unsaved edits away)
  if (response.status === 401 && path !== '/api/session' && signIn) {
    window.dispatchEvent(new CustomEvent('s3c:sign-in'));
  }
  if (!response.ok) throw new ApiError(response.status, json);
  return { status: response.status, body: json, headers: response.headers };
}

/** An error box listing the API's message and each field at fault. */
export function errorBox(error, id) {
  const fields = (error.errors || []).map(e => h('li', {},
    h('code', {}, e.field), ' ', e.reason, e.line ? ` (line ${e.line}, column ${e.column})` : ''));
  return h('div', { class: 'error-box', role: 'alert', id },
    h('div', {}, error.message), fields.length ? h('ul', {}, fields) : null);
}

export function toast(message) {
  const el = document.getElementById('toast');
  el.textContent = message;
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.hidden = true; }, 6000);
}

export function badge(status) {
  return h('span', { class: `badge s-${status}`, 'data-status': status }, String(status).replace('_', ' '));
}

export function time(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return d.toLocaleTimeString([], { hour12: false }) + '.' + String(d.getMilliseconds()).padStart(3, '0');
}

export function dateTime(iso) {
  return iso ? new Date(iso).toLocaleString([], { hour12: false }) : '';
}

export function number(value, digits = 0) {
  if (value === undefined || value === null || Number.isNaN(value)) return '–';
  return Number(value).toLocaleString(undefined, { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function json(value) {
  return value === undefined ? '' : JSON.stringify(value, null, 2);
}

/** A labelled figure in a stats grid; returns [card, the element holding the value]. */
export function stat(label, id, compact = false) {
  const value = h('div', { class: compact ? 'value compact' : 'value', id }, '–');
  return [h('div', { class: 'stat' }, h('div', { class: 'label' }, label), value), value];
}

/** A textarea for JSON that flags invalid JSON as it is typed; check() returns {ok, value}. */
export function jsonEditor(id, label, initial) {
  const area = h('textarea', { id, rows: 5, spellcheck: 'false', 'aria-describedby': id + '-status' });
  area.value = initial;
  const status = h('div', { id: id + '-status', class: 'small muted', 'aria-live': 'polite' });
  const check = () => {
    const text = area.value.trim();
    if (text === '') {
      area.classList.remove('invalid');
      status.textContent = '';
      return { ok: true, value: null };
    }
    try {
      const value = JSON.parse(text);
      area.classList.remove('invalid');
      status.textContent = '';
      return { ok: true, value };
    } catch (e) {
      area.classList.add('invalid');
      status.textContent = 'Invalid JSON: ' + e.message;
      return { ok: false };
    }
  };
  area.addEventListener('input', () => { check(); area.dispatchEvent(new CustomEvent('validity')); });
  return { element: h('label', {}, label, area, status), area, check };
}

/** Reads a CSS colour of the current theme, for charts. */
export function cssColor(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

/** A uPlot time chart that follows its container's width; returns {push(t, ...values), set(data)}. */
export function timeChart(container, seriesSpec, onLeave, maxPoints = 900) {
  const data = [[], ...seriesSpec.map(() => [])];
  const width = () => Math.max(280, container.clientWidth || 600);
  const axis = { stroke: cssColor('--muted'), grid: { stroke: cssColor('--line'), width: 1 },
    ticks: { stroke: cssColor('--line') } };
  const plot = new uPlot({
    width: width(), height: 240,
    series: [{}, ...seriesSpec.map(s => ({ label: s.label, stroke: cssColor(s.color), width: 2,
      value: (u, v) => v == null ? '–' : number(v, 1) }))],
    axes: [axis, { ...axis, size: 56 }],
    scales: { x: { time: true } },
    legend: { live: true },
  }, data, container);
  const resize = new ResizeObserver(() => plot.setSize({ width: width(), height: 240 }));
  resize.observe(container);
  onLeave(() => { resize.disconnect(); plot.destroy(); });
  return {
    push(t, ...values) {
      data[0].push(t);
      values.forEach((v, i) => data[i + 1].push(v));
      if (data[0].length > maxPoints) data.forEach(a => a.shift());
      plot.setData(data);
      container.dataset.points = data[0].length;
      container.dataset.last = data[0].length ? data[0][data[0].length - 1] : '';
    },
    /** Adds points older than those shown (history fetched after live points began to arrive). */
    seed(older) {
      const first = data[0].length ? data[0][0] : Infinity;
      const keep = older[0].findIndex(t => t >= first);
      const n = keep < 0 ? older[0].length : keep;
      older.forEach((a, i) => { data[i] = a.slice(0, n).concat(data[i]); });
      while (data[0].length > maxPoints) data.forEach(a => a.shift());
      plot.setData(data);
      container.dataset.points = data[0].length;
      container.dataset.last = data[0].length ? data[0][data[0].length - 1] : '';
    },
    set(newData) {
      newData.forEach((a, i) => { data[i] = a; });
      plot.setData(data);
      container.dataset.points = data[0].length;
      container.dataset.last = data[0].length ? data[0][data[0].length - 1] : '';
    },
    lastTime() { return data[0].length ? data[0][data[0].length - 1] : 0; },
  };
}
