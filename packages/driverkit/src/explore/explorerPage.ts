// The explorer's page: one self-contained document (no outside scripts, styles or fonts), which
// follows the server's WebSocket and redraws the parts that changed. IORegistryExplorer's layout:
// the plane's tree on the left, the selected entry's properties (with their OSObject types) and
// `match --explain` on the right; drivers, refusals and call rates below.
export const explorerPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>driverkit explore</title>
<style>
  :root { --fg: #1d1d1f; --dim: #6e6e73; --line: #d2d2d7; --accent: #0a66c2; --bad: #c4302b; --good: #1a7f37; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 13px/1.4 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: var(--fg); background: #f5f5f7; }
  header { display: flex; gap: 12px; align-items: center; padding: 8px 12px; background: #fff; border-bottom: 1px solid var(--line); }
  header h1 { font-size: 15px; margin: 0; }
  header .plane { color: var(--dim); }
  #status { margin-left: auto; color: var(--dim); }
  #status.down { color: var(--bad); }
  input[type=search] { width: 260px; padding: 4px 8px; border: 1px solid var(--line); border-radius: 6px; }
  main { display: grid; grid-template-columns: minmax(320px, 40%) 1fr; gap: 8px; padding: 8px; height: 58vh; }
  section { background: #fff; border: 1px solid var(--line); border-radius: 8px; overflow: auto; padding: 8px; }
  section h2 { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--dim); margin: 0 0 6px; }
  ul.tree, ul.tree ul { list-style: none; margin: 0; padding-left: 14px; }
  ul.tree { padding-left: 0; }
  .node { cursor: pointer; padding: 1px 4px; border-radius: 4px; white-space: nowrap; font-family: ui-monospace, Menlo, monospace; font-size: 12px; }
  .node:hover { background: #eef3fb; }
  .node.selected { background: var(--accent); color: #fff; }
  .node .cls { color: var(--dim); }
  .node.selected .cls { color: #dce9f8; }
  .node.hit { font-weight: 600; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 2px 6px; border-bottom: 1px solid #eee; vertical-align: top; font-size: 12px; }
  td.key { font-family: ui-monospace, Menlo, monospace; white-space: nowrap; }
  td.type { color: var(--dim); white-space: nowrap; }
  td.value { font-family: ui-monospace, Menlo, monospace; word-break: break-all; }
  pre { white-space: pre-wrap; font-size: 11px; background: #f8f8fa; padding: 6px; border-radius: 6px; }
  .below { display: grid; grid-template-columns: 1.4fr 1fr 1fr; gap: 8px; padding: 0 8px 8px; }
  .state-running { color: var(--good); } .state-crashed, .state-failed, .state-gave.up { color: var(--bad); }
  .chart { display: flex; align-items: center; gap: 8px; margin: 2px 0; font-size: 12px; }
  .chart svg { background: #f8f8fa; border-radius: 4px; }
  .chart .label { flex: 1; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .refusal { border-left: 3px solid var(--bad); padding: 2px 6px; margin: 4px 0; font-size: 12px; }
  .empty { color: var(--dim); }
</style>
</head>
<body>
<header>
  <h1>driverkit explore</h1><span class="plane">IOService plane</span>
  <input id="search" type="search" placeholder="Search names, classes, properties">
  <span id="status">connecting…</span>
</header>
<main>
  <section><h2>Registry</h2><ul class="tree" id="tree"></ul></section>
  <section><h2 id="selected-title">Properties</h2><table id="properties"></table><h2>match --explain</h2><pre id="explain" class="empty">Select an entry.</pre></section>
</main>
<div class="below">
  <section><h2>Driver processes</h2><table id="drivers"></table></section>
  <section><h2>Refusals</h2><div id="refusals"></div></section>
  <section><h2>Rates (per second)</h2><div id="rates"></div></section>
</div>
<script>
  const $ = (id) => document.getElementById(id);
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
  let snapshot = null;
  let selected = null;
  let ws = null;

  function show(v) {
    if (v === null || v.value === null) return '(' + esc(v ? v.type : 'null') + ')';
    switch (v.type) {
      case 'OSString': case 'OSSymbol': return '"' + esc(v.value) + '"';
      case 'OSNumber': return esc(v.value) + (/^\\d+$/.test(v.value) && Number(v.value) > 9 ? ' <span class="cls">(0x' + BigInt(v.value).toString(16) + ')</span>' : '');
      case 'OSBoolean': return v.value ? 'Yes' : 'No';
      case 'OSData': return '&lt;' + esc(v.value) + (v.length > v.value.length / 2 ? '…' : '') + '&gt; <span class="cls">(' + v.length + ' bytes)</span>';
      case 'OSArray': case 'OSSet': return '(' + v.value.map(show).join(', ') + ')';
      case 'OSDictionary': return '{' + Object.entries(v.value).map(([k, x]) => '"' + esc(k) + '"=' + show(x)).join(', ') + '}';
      default: return esc(JSON.stringify(v.value));
    }
  }

  function matches(e, q) {
    if (!q) return false;
    const text = (e.name + ' ' + e.className + ' ' + Object.keys(e.properties).join(' ') + ' ' + JSON.stringify(e.properties)).toLowerCase();
    return text.includes(q);
  }

  /** The tree, with search hits in bold and only their branches shown while searching. */
  function renderTree() {
    const q = $('search').value.trim().toLowerCase();
    const html = (e) => {
      const kids = e.children.map(html).filter(Boolean).join('');
      const hit = matches(e, q);
      if (q && !hit && !kids) return '';
      const state = e.state ? ', ' + esc(e.state) : '';
      return '<li><div class="node' + (hit ? ' hit' : '') + (selected === e.id ? ' selected' : '') + '" data-id="' + e.id + '">' + esc(e.name) + (e.location ? '@' + esc(e.location) : '') +
        ' <span class="cls">&lt;class ' + esc(e.className) + ', id ' + e.id + state + '&gt;</span></div>' + (kids ? '<ul>' + kids + '</ul>' : '') + '</li>';
    };
    $('tree').innerHTML = snapshot && snapshot.registry ? html(snapshot.registry) : '';
  }

  function find(e, id) {
    if (!e) return null;
    if (e.id === id) return e;
    for (const c of e.children) { const f = find(c, id); if (f) return f; }
    return null;
  }

  function renderSelected() {
    const e = snapshot && find(snapshot.registry, selected);
    if (!e) { $('properties').innerHTML = ''; $('selected-title').textContent = 'Properties'; return; }
    $('selected-title').textContent = e.name + ' (' + e.className + ')';
    $('properties').innerHTML = '<tr><th>Key</th><th>Type</th><th>Value</th></tr>' + Object.entries(e.properties).map(([k, v]) =>
      '<tr><td class="key">' + esc(k) + '</td><td class="type">' + esc(v.type) + '</td><td class="value">' + show(v) + '</td></tr>').join('');
  }

  function renderDrivers() {
    const rows = snapshot.drivers;
    $('drivers').innerHTML = rows.length === 0 ? '<tr><td class="empty">No drivers have started.</td></tr>' :
      '<tr><th>Driver</th><th>On</th><th>pid</th><th>State</th><th>Relaunches</th><th>Last exit</th></tr>' + rows.map((d) =>
        '<tr data-driver="' + esc(d.userClass) + '"><td>' + esc(d.userClass) + '<br><span class="cls">' + esc(d.bundle) + '</span></td><td>' + esc(d.provider) + '</td><td>' + (d.pid || '') +
        '</td><td class="state-' + esc(d.state.replace(' ', '.')) + '">' + esc(d.state) + '</td><td class="relaunches">' + d.relaunches + '</td><td>' + esc(d.lastExit || '') + '</td></tr>').join('');
  }

  function renderRefusals() {
    const list = snapshot.refusals.slice().reverse();
    $('refusals').innerHTML = list.length === 0 ? '<div class="empty">None.</div>' : list.map((r) =>
      '<div class="refusal"><b>' + esc(r.what) + '</b> at ' + new Date(r.time).toLocaleTimeString() + '<br>' + esc(r.reason) + '</div>').join('');
  }

  function sparkline(values) {
    const w = 120, h = 24, max = Math.max(1, ...values);
    const pts = values.map((v, i) => (values.length === 1 ? w : (i * w) / (values.length - 1)).toFixed(1) + ',' + (h - (v / max) * (h - 2) - 1).toFixed(1)).join(' ');
    return '<svg width="' + w + '" height="' + h + '" viewBox="0 0 ' + w + ' ' + h + '"><polyline fill="none" stroke="#0a66c2" stroke-width="1.5" points="' + pts + '"/></svg>';
  }

  function renderRates() {
    const series = snapshot.rates;
    $('rates').innerHTML = series.length === 0 ? '<div class="empty">No calls yet.</div>' : series.map((s) => {
      const now = s.rates.length ? s.rates[s.rates.length - 1] : 0;
      return '<div class="chart">' + sparkline(s.rates.length ? s.rates : [0]) + '<span class="label" title="' + esc(s.kind + ': ' + s.name) + '">' + esc(s.name) + ' <span class="cls">' + esc(s.kind) + '</span></span><b>' + now.toFixed(0) + '/s</b></div>';
    }).join('');
  }

  function render() {
    $('status').textContent = snapshot.error ? 'host unreachable: ' + snapshot.error : 'live';
    $('status').className = snapshot.error ? 'down' : '';
    renderTree(); renderSelected(); renderDrivers(); renderRefusals(); renderRates();
  }

  $('tree').addEventListener('click', (ev) => {
    const node = ev.target.closest('.node');
    if (!node) return;
    selected = node.dataset.id;
    renderTree(); renderSelected();
    $('explain').textContent = 'asking the host…';
    $('explain').className = 'empty';
    ws.send(JSON.stringify({ type: 'explain', entry: selected }));
  });
  $('search').addEventListener('input', renderTree);

  function connect() {
    ws = new WebSocket(location.href.replace(/^http/, 'ws'));
    ws.onmessage = (ev) => {
      const m = JSON.parse(ev.data);
      if (m.type === 'snapshot') { snapshot = m; render(); }
      else if (m.type === 'explanation' && m.entry === selected) { $('explain').textContent = m.text; $('explain').className = ''; }
    };
    ws.onclose = () => { $('status').textContent = 'explorer stopped; reconnecting…'; $('status').className = 'down'; setTimeout(connect, 1000); };
  }
  connect();
</script>
</body>
</html>
`;
