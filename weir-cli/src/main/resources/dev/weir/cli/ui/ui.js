// weir ui: polls weir ui's JSON every second and draws the flows table, the service map, an edge's flows and the
// nodes' status. Plain DOM and SVG; every text from the agents goes in through textContent, never as markup.
'use strict';
(function () {
  const SVG = 'http://www.w3.org/2000/svg';
  const KNOWN = ['FORWARDED', 'DROPPED', 'AUDIT'];
  const $ = (id) => document.getElementById(id);
  const state = { paused: false, edge: null, seq: 0, tick: 0, loop: 0, timer: null, shown: {} };

  // --- helpers ---------------------------------------------------------------------------------------------------
  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function svg(tag, attrs, text) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function verdictClass(v) { return 'verdict-' + (KNOWN.includes(v) ? v : 'other'); }

  function query() {
    const q = new URLSearchParams();
    for (const input of $('filters').elements) {
      if (!input.name) continue;
      for (const v of input.value.split(',').map((s) => s.trim()).filter(Boolean)) q.append(input.name, v);
    }
    return q;
  }
  async function getJson(path, q) {
    const qs = q ? q.toString() : '';
    const r = await fetch(path + (qs ? '?' + qs : ''), { cache: 'no-store' });
    const body = await r.json();
    if (!r.ok) throw new Error(body.error || (r.status + ' ' + r.statusText));
    return body;
  }

  // --- flows -----------------------------------------------------------------------------------------------------
  function peerName(peer, ip) {
    if (peer && peer.pod_name) return (peer.namespace || 'default') + '/' + peer.pod_name;
    const reserved = ((peer && peer.labels) || []).find((l) => l.startsWith('reserved:'));
    return reserved ? reserved + ' (' + ip + ')' : ip;
  }
  function port(f) {
    const l4 = f.l4 || {};
    const proto = Object.keys(l4)[0];
    if (!proto) return '';
    const p = l4[proto];
    return p.destination_port !== undefined ? proto + '/' + p.destination_port : proto;
  }
  function policies(f) {
    const refs = [];
    for (const k of ['ingress_allowed_by', 'egress_allowed_by', 'ingress_denied_by', 'egress_denied_by']) {
      for (const p of f[k] || []) refs.push(p.kind + ' ' + (p.namespace ? p.namespace + '/' : '') + p.name);
    }
    return refs;
  }
  function time(t) {
    const d = new Date(t);
    if (isNaN(d)) return t;
    return d.toLocaleTimeString([], { hour12: false }) + '.' + String(d.getMilliseconds()).padStart(3, '0');
  }
  function flowRow(f) {
    const src = peerName(f.source, f.IP && f.IP.source);
    const named = f.destination_names && !(f.destination && f.destination.pod_name);
    const dst = named ? f.destination_names[0] + ' (' + (f.IP && f.IP.destination) + ')'
      : peerName(f.destination, f.IP && f.IP.destination);
    const svc = f.destination_service || f.source_service;
    const tr = el('tr', {
      'data-verdict': f.verdict,
      'data-source': src,
      'data-destination': dst,
      'data-node': f.node_name || '',
    });
    tr.append(el('td', {}, time(f.time)), el('td', {}, f.node_name));
    tr.append(el('td', {}, src));
    tr.append(el('td', {}, dst + (svc ? ' via ' + svc.namespace + '/' + svc.name : '')));
    tr.append(el('td', {}, port(f)));
    const v = el('td');
    v.append(el('span', { class: 'badge ' + verdictClass(f.verdict) }, f.verdict));
    tr.append(v);
    const why = [f.drop_reason_desc, ...policies(f)].filter(Boolean).join(', ');
    tr.append(el('td', { class: 'wrap' }, why), el('td', { class: 'wrap' }, (f.is_reply ? 'reply, ' : '') + (f.traffic_direction || '') + ' ' + (f.Summary || '')));
    return tr;
  }
  function renderFlows(tbody, flows) {
    const rows = flows.slice().reverse().map(flowRow); // newest first
    tbody.replaceChildren(...rows);
  }

  // --- service map -----------------------------------------------------------------------------------------------
  function arrowMarkers() {
    const defs = svg('defs');
    for (const c of KNOWN.concat(['other'])) {
      const m = svg('marker', { id: 'arrow-' + c, class: 'verdict-' + c, viewBox: '0 0 10 10', refX: '9', refY: '5',
        markerWidth: '7', markerHeight: '7', orient: 'auto-start-reverse' });
      m.append(svg('path', { d: 'M 0 0 L 10 5 L 0 10 z' }));
      defs.append(m);
    }
    return defs;
  }
  // the endpoints and control point of an edge: sides facing each other; within one column, out to the right
  function geometry(s, t, half, offset) {
    let x1, x2, cx, cy;
    const y1 = s.y, y2 = t.y;
    if (s.x === t.x) {
      x1 = s.x + half; x2 = t.x + half;
      cx = s.x + half + 50 + Math.abs(y2 - y1) / 4 + offset;
      cy = (y1 + y2) / 2;
    } else {
      const dir = t.x > s.x ? 1 : -1;
      x1 = s.x + dir * half; x2 = t.x - dir * half;
      const mx = (x1 + x2) / 2, my = (y1 + y2) / 2;
      const len = Math.hypot(x2 - x1, y2 - y1) || 1;
      cx = mx - ((y2 - y1) / len) * offset;
      cy = my + ((x2 - x1) / len) * offset;
    }
    return { x1, y1, x2, y2, cx, cy,
      mx: 0.25 * x1 + 0.5 * cx + 0.25 * x2, my: 0.25 * y1 + 0.5 * cy + 0.25 * y2 };
  }
  // an edge bent further, step by step either way, until its label (the click target) lies inside the drawing and
  // clear of every node and label placed so far; failing that, the bend whose label overlaps the fewest
  function placed(s, t, map, offset, obstacles) {
    let best = null;
    let fewest = Infinity;
    for (let k = 0; k <= 24; k++) {
      const step = k % 2 === 1 ? (k + 1) / 2 : -k / 2;
      const g = geometry(s, t, map.nodeWidth / 2, offset + step * 22);
      if (g.mx < 12 || g.my < 12 || g.mx > map.width - 12 || g.my > map.height - 12) continue;
      const hits = obstacles.filter((b) => Math.abs(g.mx - b.x) < b.hw + 12 && Math.abs(g.my - b.y) < b.hh + 12).length;
      if (hits === 0) return g;
      if (hits < fewest) {
        best = g;
        fewest = hits;
      }
    }
    return best || geometry(s, t, map.nodeWidth / 2, offset);
  }
  function renderMap(map) {
    const root = $('map');
    root.setAttribute('width', map.width);
    root.setAttribute('height', map.height);
    root.setAttribute('viewBox', '0 0 ' + map.width + ' ' + map.height);
    const parts = [arrowMarkers()];
    if (map.nodes.length === 0) {
      parts.push(svg('text', { class: 'empty', x: 20, y: 40 }, 'no flows match'));
    }
    for (const c of map.columns) {
      parts.push(svg('text', { class: 'column-title', x: c.x, y: 30 }, c.title));
    }
    const nodes = new Map(map.nodes.map((n) => [n.id, n]));
    // edges between the same two nodes (either way) are spread apart
    const pairs = new Map();
    for (const e of map.edges) {
      const key = [e.source, e.target].sort().join('\n');
      if (!pairs.has(key)) pairs.set(key, []);
      pairs.get(key).push(e.id);
    }
    const edges = svg('g', { class: 'edges' });
    const obstacles = map.nodes.map((n) => ({ x: n.x, y: n.y, hw: map.nodeWidth / 2, hh: map.nodeHeight / 2 }));
    for (const e of map.edges) {
      const s = nodes.get(e.source), t = nodes.get(e.target);
      const group = pairs.get([e.source, e.target].sort().join('\n'));
      const i = group.indexOf(e.id);
      const offset = (i - (group.length - 1) / 2) * 22 * (e.source < e.target ? 1 : -1);
      const g = placed(s, t, map, offset, obstacles);
      obstacles.push({ x: g.mx, y: g.my, hw: 10, hh: 10 });
      const d = 'M ' + g.x1 + ' ' + g.y1 + ' Q ' + g.cx + ' ' + g.cy + ' ' + g.x2 + ' ' + g.y2;
      const cls = verdictClass(e.verdict);
      const edge = svg('g', { class: 'edge ' + cls + (state.edge === e.id ? ' selected' : ''), 'data-edge-id': e.id,
        'data-source': e.source, 'data-target': e.target, 'data-verdict': e.verdict, 'data-flows': e.flows });
      edge.append(svg('title', {}, e.id + '\n' + e.flows + ' flows, ' + e.ports.join(' ') +
        (e.dropReasons.length ? '\n' + e.dropReasons.join(', ') : '')));
      edge.append(svg('path', { class: 'edge-hit', d: d }));
      edge.append(svg('path', { class: 'edge-line', d: d, 'marker-end': 'url(#arrow-' + cls.substring(8) + ')' }));
      const label = svg('g', { class: 'edge-label' });
      label.append(svg('circle', { cx: g.mx, cy: g.my, r: 10, 'data-edge-label': e.id }), svg('text', { x: g.mx, y: g.my }, e.flows));
      edge.append(label);
      edge.addEventListener('click', () => openEdge(e.id));
      edges.append(edge);
    }
    parts.push(edges);
    for (const n of map.nodes) {
      const g = svg('g', { class: 'node kind-' + n.kind, 'data-node-id': n.id, 'data-kind': n.kind });
      g.append(svg('title', {}, n.id));
      g.append(svg('rect', { x: n.x - map.nodeWidth / 2, y: n.y - map.nodeHeight / 2, width: map.nodeWidth,
        height: map.nodeHeight, rx: n.kind === 'service' ? 14 : 4 }));
      const prefix = n.kind === 'service' ? 'svc ' : '';
      const text = prefix + (n.namespace && n.kind === 'pod' ? n.namespace + '/' : '') + n.label;
      // a long label (an IPv6 address) is squeezed into its box rather than cut
      const fit = text.length > 20 ? { textLength: map.nodeWidth - 10, lengthAdjust: 'spacingAndGlyphs' } : {};
      g.append(svg('text', Object.assign({ x: n.x, y: n.y }, fit), text));
      parts.push(g);
    }
    root.replaceChildren(...parts);
  }

  // --- an edge's flows -------------------------------------------------------------------------------------------
  function openEdge(id) {
    state.edge = id;
    $('edge-panel').hidden = false;
    $('edge-title').textContent = id;
    for (const g of document.querySelectorAll('#map .edge')) {
      g.classList.toggle('selected', g.getAttribute('data-edge-id') === id);
    }
    refreshEdge();
  }
  async function refreshEdge() {
    const id = state.edge;
    if (!id) return;
    const q = query();
    q.set('id', id);
    const r = await getJson('api/edge', q);
    if (state.edge !== id) return;
    renderFlows($('edge-flows').tBodies[0], r.flows);
    $('edge-summary').textContent = r.edge
      ? r.edge.flows + ' flows, ' + r.edge.ports.join(' ') + (r.edge.dropReasons.length ? ', ' + r.edge.dropReasons.join(', ') : '')
      : 'no flow of this edge matches now';
  }

  // --- status ----------------------------------------------------------------------------------------------------
  function renderStatus(status) {
    const rows = (status.nodes || []).map((n) => {
      const tr = el('tr', { 'data-node': n.node, 'data-up': String(!!n.up) });
      const flows = n.flows || {};
      const cells = n.up ? [n.node, 'yes', n.pid, n.storeRevision, n.appliedRevision, n.endpoints, n.identities,
        n.policies, flows.seen, (flows.kernelLost || 0) + (flows.followerLost || 0), n.dataplane, n.serviceLb]
        : [n.node, 'no', '', '', '', '', '', '', '', '', '', ''];
      cells.forEach((c, i) => tr.append(el('td', i === 1 && !n.up ? { class: 'down' } : {}, c === undefined ? '' : c)));
      const metrics = el('td');
      if (n.metricsUrl) metrics.append(el('a', { href: n.metricsUrl }, 'metrics'));
      tr.append(metrics, el('td', { class: 'wrap' }, n.up ? (n.syncError || (n.remote ? 'on ' + n.host : '')) : n.error));
      return tr;
    });
    $('status').tBodies[0].replaceChildren(...rows);
  }

  // --- the loop --------------------------------------------------------------------------------------------------
  // true when value differs from what was last drawn under that name (redrawing the same would only churn the DOM)
  function changed(name, value) {
    const text = JSON.stringify(value);
    if (state.shown[name] === text) return false;
    state.shown[name] = text;
    return true;
  }
  function showError(messages) {
    const box = $('error');
    box.hidden = messages.length === 0;
    box.textContent = messages.join('\n');
    $('live').classList.toggle('failing', messages.length > 0);
  }
  async function refresh() {
    const seq = ++state.seq;
    const q = query();
    const errors = [];
    try {
      const tasks = [getJson('api/flows', q), getJson('api/map', q)];
      if (state.tick++ % 2 === 0) tasks.push(getJson('api/status'));
      const [flows, map, status] = await Promise.all(tasks);
      if (seq !== state.seq) return; // the filters changed meanwhile
      if (changed('flows', flows.flows)) {
        renderFlows($('flows').tBodies[0], flows.flows);
        $('flow-count').textContent = flows.flows.length + ' shown (newest first)';
      }
      if (changed('map', map)) renderMap(map);
      if (status && changed('status', status)) renderStatus(status);
      for (const e of flows.errors) errors.push(e.node + ': ' + e.message);
      if (state.edge) await refreshEdge();
      $('updated').textContent = 'updated ' + new Date().toLocaleTimeString([], { hour12: false });
    } catch (e) {
      if (seq === state.seq) errors.push(e.message);
    }
    if (seq === state.seq) showError(errors);
  }
  // one polling loop at a time: a restart (filters changed, resumed) ends the one before it
  function schedule(loop) {
    if (state.paused || loop !== state.loop) return;
    refresh().finally(() => {
      if (loop === state.loop && !state.paused) state.timer = setTimeout(() => schedule(loop), 1000);
    });
  }
  function restart() {
    clearTimeout(state.timer);
    state.loop++;
    schedule(state.loop);
  }
  function filtersChanged() {
    const q = query();
    history.replaceState(null, '', q.toString() ? '?' + q : location.pathname);
    if (state.paused) refresh(); else restart();
  }

  // filters from the page's own query string, so that a filtered view can be shared as a link
  const initial = new URLSearchParams(location.search);
  for (const input of $('filters').elements) {
    if (input.name && initial.has(input.name)) input.value = initial.getAll(input.name).join(', ');
  }
  let typing = null;
  $('filters').addEventListener('change', (e) => { if (e.target.tagName === 'SELECT') filtersChanged(); });
  $('filters').addEventListener('input', (e) => {
    if (e.target.tagName !== 'INPUT') return;
    clearTimeout(typing);
    typing = setTimeout(filtersChanged, 300);
  });
  $('filters').addEventListener('submit', (e) => { e.preventDefault(); filtersChanged(); });
  $('filter-clear').addEventListener('click', () => {
    for (const input of $('filters').elements) if (input.name) input.value = '';
    filtersChanged();
  });
  $('pause').addEventListener('click', () => {
    state.paused = !state.paused;
    $('pause').textContent = state.paused ? 'Resume' : 'Pause';
    $('live').textContent = state.paused ? 'paused' : 'live';
    $('live').classList.toggle('paused', state.paused);
    if (state.paused) {
      clearTimeout(state.timer);
      state.loop++;
    } else {
      restart();
    }
  });
  $('edge-close').addEventListener('click', () => {
    state.edge = null;
    $('edge-panel').hidden = true;
    for (const g of document.querySelectorAll('#map .edge.selected')) g.classList.remove('selected');
  });
  restart();
})();
