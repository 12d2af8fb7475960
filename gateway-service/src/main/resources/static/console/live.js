// The live stream (/api/metrics/live): one WebSocket for the whole console, reconnected after a restart.
const listeners = new Set();
let socket = null;
let attempt = 0;

function setStatus(online) {
  const el = document.getElementById('live-status');
  el.textContent = online ? 'live' : 'offline: reconnecting…';
  el.className = 'live-status ' + (online ? 'online' : 'offline');
  document.body.dataset.live = online ? 'online' : 'offline';
}

export function connect() {
  const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/api/metrics/live';
  socket = new WebSocket(url);
  // live once something arrives: the gateway accepts the socket even while the monitor behind it is down
  socket.addEventListener('message', event => {
    if (document.body.dataset.live !== 'online') {
      attempt = 0;
      setStatus(true);
    }
    let message;
    try { message = JSON.parse(event.data); } catch { return; }
    listeners.forEach(listener => listener(message));
  });
  socket.addEventListener('close', () => {
    setStatus(false);
    // back off to at most 5 s between tries
    setTimeout(connect, Math.min(5000, 500 * 2 ** attempt++));
  });
}

/** Calls listener(message) for every message until the returned function is called. */
export function subscribe(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
