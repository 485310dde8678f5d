// The Mailpin dashboard: reads the admin API of the node that served it and redraws every few
// seconds. Every value from the API is inserted with textContent or as an SVG text node, never as
// markup, because usernames and other fields are chosen by clients.
'use strict';

const TOKEN_KEY = 'mailpin.adminToken';
const REFRESH_MS = 5000;
const EVENTS_SHOWN = 20;
const SVG_NS = 'http://www.w3.org/2000/svg';
const STATES = ['up', 'down', 'unhealthy'];

let refreshTimer = null;

class Unauthorized extends Error {
}

function byId(id) {
  return document.getElementById(id);
}

// ---- API access

async function api(path) {
  const response = await fetch(path, {
    headers: { Authorization: 'Bearer ' + sessionStorage.getItem(TOKEN_KEY), Accept: 'application/json' },
    cache: 'no-store',
    credentials: 'omit',
  });
  if (response.status === 401) {
    throw new Unauthorized('the admin API rejected the token');
  }
  if (!response.ok) {
    let message = 'HTTP ' + response.status;
    try {
      const body = await response.json();
      if (body && typeof body.error === 'string') {
        message += ': ' + body.error;
      }
    } catch (ignored) {
      // The status alone still reports what failed.
    }
    throw new Error(message);
  }
  return response.json();
}

async function optionalApi(path) {
  try {
    return await api(path);
  } catch (error) {
    if (error instanceof Unauthorized) {
      throw error;
    }
    return null;
  }
}

// ---- DOM helpers: text only, never markup

function text(value) {
  return value === null || value === undefined || value === '' ? '-' : String(value);
}

function formatTime(iso) {
  if (typeof iso !== 'string') {
    return text(iso);
  }
  return iso.replace('T', ' ').replace(/\.\d+/, '').replace(/Z$/, ' UTC');
}

function cell(value, className) {
  const td = document.createElement('td');
  td.textContent = text(value);
  if (className) {
    td.className = className;
  }
  return td;
}

function row(cells) {
  const tr = document.createElement('tr');
  cells.forEach((c) => tr.appendChild(c));
  return tr;
}

function fillTable(id, rows, emptyText) {
  const table = byId(id);
  const body = table.tBodies[0];
  body.replaceChildren(...rows);
  if (rows.length === 0) {
    const td = cell(emptyText, 'empty');
    td.colSpan = table.tHead.rows[0].cells.length;
    body.appendChild(row([td]));
  }
}

function svgElement(name, attributes) {
  const element = document.createElementNS(SVG_NS, name);
  Object.entries(attributes || {}).forEach(([key, value]) => element.setAttribute(key, String(value)));
  return element;
}

function svgText(value, attributes) {
  const element = svgElement('text', attributes);
  element.textContent = text(value);
  return element;
}

function stateClass(state) {
  return STATES.includes(state) ? 'state-' + state : '';
}

function showError(message) {
  const error = byId('error');
  error.textContent = message || '';
  error.hidden = !message;
}

// ---- Sections

function renderStatus(status) {
  byId('node').textContent = 'node ' + text(status.node);
  byId('totals').textContent = status.users + ' user(s) assigned, ' + status.connections
    + ' live mail connection(s) on all nodes';
  const rows = status.backends.map((b) => {
    const tr = row([
      cell(b.id),
      cell(b.address),
      cell(b.state, stateClass(b.state)),
      cell(b.vhosts, 'number'),
      cell(b.tag),
      cell(b.users, 'number'),
      cell(b.connections, 'number'),
    ]);
    tr.dataset.backend = b.id;
    return tr;
  });
  fillTable('backends', rows, 'No backends configured.');
  renderUsersChart(status.backends);
}

// A horizontal bar per backend, scaled to the backend with the most users.
function renderUsersChart(backends) {
  const width = 640;
  const labelWidth = 140;
  const barHeight = 22;
  const gap = 10;
  const maxBar = width - labelWidth - 70;
  const height = Math.max(1, backends.length) * (barHeight + gap) + gap;
  const maxUsers = Math.max(1, ...backends.map((b) => b.users));

  const svg = svgElement('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img' });
  svg.setAttribute('aria-label', 'Assigned users per backend');
  if (backends.length === 0) {
    svg.appendChild(svgText('No backends configured.', { x: 10, y: 22 }));
  }
  backends.forEach((b, index) => {
    const y = gap + index * (barHeight + gap);
    const barWidth = Math.round((b.users / maxUsers) * maxBar);
    const group = svgElement('g', { 'data-backend': b.id });
    group.appendChild(svgText(b.id, { x: 10, y: y + 16, class: 'label' }));
    const bar = svgElement('rect', { x: labelWidth, y, width: Math.max(barWidth, 1), height: barHeight, class: 'bar' });
    const title = svgElement('title');
    title.textContent = b.id + ': ' + b.users + ' user(s), state ' + b.state;
    bar.appendChild(title);
    group.appendChild(bar);
    group.appendChild(svgText(b.users, { x: labelWidth + barWidth + 8, y: y + 16, class: 'count' }));
    svg.appendChild(group);
  });
  byId('users-chart').replaceChildren(svg);
}

function renderNodes(cluster) {
  const rows = (cluster.nodes || []).map((n) => {
    let total = 0;
    const parts = [];
    Object.entries(n.connections || {}).forEach(([backend, byProtocol]) => {
      const counts = Object.entries(byProtocol).map(([protocol, count]) => {
        total += count;
        return protocol + ' ' + count;
      });
      parts.push(backend + ': ' + counts.join(', '));
    });
    const tr = row([cell(n.node), cell(formatTime(n.started)), cell(formatTime(n.updated)), cell(total, 'number'),
      cell(parts.join('; '))]);
    tr.dataset.node = n.node;
    return tr;
  });
  fillTable('nodes', rows, 'No node has published its status.');
}

function renderEvents(answer) {
  const rows = answer.events.map((e) => row([cell(formatTime(e.time)), cell(e.type), cell(e.subject), cell(e.detail),
    cell(e.node)]));
  fillTable('events', rows, 'No events recorded yet.');
}

// Reads GET /api/v1/health: backends[] with id, state, lastFailure and history[] of rounds
// ({time, passed, reason}), oldest first. Anything else is shown as JSON text.
function renderHealth(health) {
  const section = byId('health');
  const body = byId('health-body');
  if (!health) {
    section.hidden = true;
    return;
  }
  section.hidden = false;
  const list = Array.isArray(health) ? health : health.backends || health.checks;
  if (!Array.isArray(list)) {
    const pre = document.createElement('pre');
    pre.textContent = JSON.stringify(health, null, 2);
    body.replaceChildren(pre);
    return;
  }

  const table = document.createElement('table');
  const head = table.createTHead().insertRow();
  const checker = document.createElement('p');
  checker.textContent = 'Checks run on node: ' + (health.checker || 'none (no node holds the health-check lease)');
  ['Backend', 'State', 'History (oldest to newest)', 'Latest failure'].forEach((name) => {
    const th = document.createElement('th');
    th.textContent = name;
    head.appendChild(th);
  });
  const tbody = table.createTBody();
  list.forEach((entry) => {
    const history = Array.isArray(entry.history) ? entry.history : [];
    const state = healthState(entry);
    const latest = history.length > 0 ? history[history.length - 1] : entry;
    const historyCell = document.createElement('td');
    historyCell.className = 'chart';
    historyCell.appendChild(historyStrip(history));
    const failure = entry.lastFailure ? formatTime(entry.lastFailureTime) + ' ' + entry.lastFailure : null;
    tbody.appendChild(row([cell(entry.id), cell(state, stateClass(state)), historyCell,
      cell(failure || latest.reason)]));
  });
  body.replaceChildren(checker, table);
}

function healthState(entry) {
  if (entry.state) {
    return entry.state;
  }
  if (entry.healthy === false) {
    return 'unhealthy';
  }
  if (entry.healthy === true) {
    return 'up';
  }
  return null;
}

function historyStrip(history) {
  const size = 12;
  const svg = svgElement('svg', { width: Math.max(1, history.length) * (size + 2), height: size + 2 });
  history.forEach((check, index) => {
    const state = check.passed ? 'up' : 'unhealthy';
    const square = svgElement('rect', { x: index * (size + 2), y: 1, width: size, height: size,
      class: 'history-' + state });
    const title = svgElement('title');
    title.textContent = formatTime(check.time) + (check.passed ? ' passed' : ' failed: ' + text(check.reason));
    square.appendChild(title);
    svg.appendChild(square);
  });
  return svg;
}

// ---- Lookup

async function lookup(event) {
  event.preventDefault();
  const kind = byId('lookup-kind').value;
  const value = byId('lookup-value').value.trim();
  if (!value) {
    return;
  }
  const path = (kind === 'session' ? '/api/v1/web-sessions/' : '/api/v1/users/') + encodeURIComponent(value);
  try {
    const answer = await api(path);
    renderLookup(kind === 'session' ? answer.lookup : answer, kind === 'session' ? answer : null);
    showError(null);
  } catch (error) {
    if (error instanceof Unauthorized) {
      askForToken('The admin API rejected the token. Enter it again.');
      return;
    }
    byId('lookup-result').hidden = true;
    showError('Lookup of ' + value + ' failed: ' + error.message);
  }
}

function renderLookup(view, sessionAnswer) {
  const summary = [];
  if (sessionAnswer) {
    const s = sessionAnswer.session;
    summary.push(['web session', sessionAnswer.id], ['created', formatTime(s.created)],
      ['last request', formatTime(s.lastRequest)], ['client IP', s.clientIp], ['login node', s.node]);
    const pin = sessionAnswer.pin;
    if (pin) {
      summary.push(['pin cookie', 'valid signature, issued ' + formatTime(pin.issued) + ', '
        + (pin.expired ? 'expired ' : 'expires ') + formatTime(pin.expires)
        + (pin.matchesSession ? '' : ', but it names user ' + pin.user + ', so the gateway ignores it')]);
    }
  }
  summary.push(['user', view.user]);
  summary.push(['backend', view.assigned ? view.backend + ' (' + text(view.address) + ')' : 'not assigned']);
  if (view.assigned) {
    summary.push(['reason', view.reason], ['since', formatTime(view.since)],
      ['last activity', formatTime(view.lastActivity)], ['expires', formatTime(view.expires)],
      ['assigned by node', view.node]);
  }
  summary.push(['ring choice', view.ringChoice], ['initial config', view.initialConfig], ['why', view.why]);

  const list = byId('lookup-summary');
  list.replaceChildren();
  summary.forEach(([name, value]) => {
    const dt = document.createElement('dt');
    dt.textContent = name;
    const dd = document.createElement('dd');
    dd.textContent = text(value);
    list.append(dt, dd);
  });

  const replied = view.nodesQueried.length - view.nodesMissing.length;
  byId('lookup-nodes').textContent = replied + ' of ' + view.nodesQueried.length + ' node(s) replied ('
    + view.nodesQueried.join(', ') + ')' + (view.nodesMissing.length > 0
    ? '. No reply from ' + view.nodesMissing.join(', ') + ', so their connections are not listed.' : '.');

  fillTable('lookup-connections', view.connections.map((c) => {
    const tr = row([cell(c.node), cell(c.protocol), cell(c.backend), cell(c.clientIp), cell(formatTime(c.since)),
      cell(c.id)]);
    tr.dataset.connection = c.id;
    return tr;
  }), 'No live mail connections on the nodes that replied.');
  fillTable('lookup-sessions', view.webSessions.map((s) => row([cell(s.id), cell(formatTime(s.created)),
    cell(formatTime(s.lastRequest)), cell(s.clientIp), cell(s.node)])), 'No live web sessions.');
  byId('lookup-result').hidden = false;
}

// ---- Refresh loop and token

async function refresh() {
  clearTimeout(refreshTimer);
  if (document.hidden) {
    refreshTimer = setTimeout(refresh, REFRESH_MS);
    return;
  }
  try {
    const [status, cluster, events, health] = await Promise.all([
      api('/api/v1/status'),
      api('/api/v1/cluster'),
      api('/api/v1/events?max=' + EVENTS_SHOWN),
      optionalApi('/api/v1/health'),
    ]);
    renderStatus(status);
    renderNodes(cluster);
    renderEvents(events);
    renderHealth(health);
    byId('refreshed').textContent = 'updated ' + new Date().toLocaleTimeString();
    if (byId('error').textContent.startsWith('Refreshing failed')) {
      showError(null);
    }
  } catch (error) {
    if (error instanceof Unauthorized) {
      askForToken('The admin API rejected the token. Enter it again.');
      return;
    }
    showError('Refreshing failed: ' + error.message + '. Retrying in ' + REFRESH_MS / 1000 + ' s.');
  }
  refreshTimer = setTimeout(refresh, REFRESH_MS);
}

function askForToken(message) {
  clearTimeout(refreshTimer);
  sessionStorage.removeItem(TOKEN_KEY);
  byId('dashboard').hidden = true;
  byId('forget-token').hidden = true;
  byId('token-form').hidden = false;
  showError(message);
  byId('token').focus();
}

function tokenEntered(event) {
  event.preventDefault();
  const value = byId('token').value.trim();
  if (!value) {
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, value);
  byId('token').value = '';
  showError(null);
  showDashboard();
}

function showDashboard() {
  byId('token-form').hidden = true;
  byId('dashboard').hidden = false;
  byId('forget-token').hidden = false;
  refresh();
}

byId('token-form').addEventListener('submit', tokenEntered);
byId('lookup-form').addEventListener('submit', lookup);
byId('forget-token').addEventListener('click', () => askForToken(null));
document.addEventListener('visibilitychange', () => {
  if (!document.hidden && sessionStorage.getItem(TOKEN_KEY)) {
    refresh();
  }
});

if (sessionStorage.getItem(TOKEN_KEY)) {
  showDashboard();
} else {
  askForToken(null);
}
