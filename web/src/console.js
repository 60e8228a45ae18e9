// The dispatcher console (/): the district's layers, the locate card for a
// clicked point, and — where this gridd serves them — incidents and cases
// on the map, the case queue, creating and assigning incidents, moving
// cases through their stages, KPIs and units live from the event stream.
import {
  api, feature, served, hasCollection, t, lang, setLang, translate, keyInput, newMap, addDistrictLayers, followGridLabels, loadLabels, setLabelData, relabel,
  esc, pct, empty, toMap, fromMap, mapCRS, stageName, actionName, maplibregl,
} from './common.js';

const $ = (id) => document.getElementById(id);

// Stages in their order and the actions a dispatcher may take from each
// (GB/T 30428 and issue 12's lifecycle); gridd checks them again (409).
const stageActions = {
  reported: ['file', 'void'], filed: ['dispatch', 'escalate', 'void'], dispatched: ['accept', 'escalate'],
  handling: ['arrive', 'resolve', 'escalate'], resolved: ['verify', 'rework'], closed: ['evaluate'],
};
const stageActionsAll = Object.fromEntries(Object.values(stageActions).flat().map((a) => [a, true]));
const stageColor = {
  reported: '#e67e22', filed: '#f1c40f', dispatched: '#3498db', handling: '#2980b9', resolved: '#27ae60', closed: '#7f8c8d', evaluated: '#95a5a6', void: '#bdc3c7',
};

// Case priority rings: normal, escalated, overdue.
const prioColor = ['#ffffff', '#e67e22', '#c0392b'];
const unitColor = { available: '#16a085', busy: '#8e44ad', off_duty: '#95a5a6' };

const map = newMap('map', (map) => {
  map.addLayer({ id: 'grid-fill', type: 'fill', source: 'grids', 'source-layer': 'grids', minzoom: 11,
    paint: { 'fill-color': '#5d8aa8', 'fill-opacity': ['case', ['boolean', ['feature-state', 'picked'], false], 0.35, 0.04] } });
  addDistrictLayers(map);
  map.addSource('picked', { type: 'geojson', data: empty() });
  map.addLayer({ id: 'picked', type: 'circle', source: 'picked', paint: { 'circle-radius': 4, 'circle-color': '#000', 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } });
  map.addSource('cases', { type: 'geojson', data: empty() });
  // A case's fill is its stage; its size and ring its priority: overdue
  // (2) above escalated (1) above normal (0).
  map.addLayer({ id: 'cases', type: 'circle', source: 'cases', paint: {
    'circle-color': ['match', ['get', 'stage'], ...Object.entries(stageColor).flat(), '#e74c3c'],
    'circle-radius': ['match', ['get', 'prio'], 2, 9, 1, 7.5, 6],
    'circle-stroke-color': ['match', ['get', 'prio'], 2, prioColor[2], 1, prioColor[1], prioColor[0]],
    'circle-stroke-width': ['match', ['get', 'prio'], 2, 3, 1, 2.5, 1.5],
  } });
  // Units: patrols are large discs with a white ring, grid workers small
  // discs with a dark ring; the fill is the status.
  map.addSource('units', { type: 'geojson', data: empty() });
  map.addLayer({ id: 'units', type: 'circle', source: 'units', paint: {
    'circle-radius': ['interpolate', ['linear'], ['zoom'], 9, ['case', ['==', ['get', 'kind'], 'patrol'], 4, 2], 15, ['case', ['==', ['get', 'kind'], 'patrol'], 8, 5]],
    'circle-color': ['match', ['get', 'status'], ...Object.entries(unitColor).flat(), '#95a5a6'],
    'circle-stroke-color': ['case', ['boolean', ['get', 'suggested'], false], '#f39c12', ['==', ['get', 'kind'], 'patrol'], '#fff', '#2c3e50'],
    'circle-stroke-width': ['case', ['boolean', ['get', 'suggested'], false], 3, ['==', ['get', 'kind'], 'patrol'], 2, 1] } });
});
const labelsLoading = loadLabels(); // in parallel with the map's start
let labels = { streets: [], communities: [] };
let clicked = null; // {lngLat, locate}
const features = { cases: null, incidents: null, units: null, events: null, kpis: null };
let cases = [];
let units = new Map(); // id → {id, kind, name, status, loc [lon, lat] WGS84, at}
let streaming = false;
let suggestedUnits = new Set(); // the open case's suggested units, ringed on the map

map.on('load', async () => {
  followGridLabels(map);
  labels = await labelsLoading;
  setLabelData(map, labels);
  // The first idle after the labels are set: the district is drawn. Only
  // then does the page ask which of the case and unit APIs gridd serves,
  // so those requests do not queue before the tiles.
  map.once('idle', () => { window.griddIdleAt = performance.now(); detect(); });
  window.griddReady = true;
});

map.on('click', (e) => pick(e.lngLat));

let pickedGrid = null;
// pick locates the clicked point and shows the card.
async function pick(lngLat) {
  clicked = { lngLat, locate: null };
  map.getSource('picked').setData({ type: 'FeatureCollection', features: [{ type: 'Feature', geometry: { type: 'Point', coordinates: [lngLat.lng, lngLat.lat] }, properties: {} }] });
  const r = await api(`/locate?lon=${lngLat.lng.toFixed(7)}&lat=${lngLat.lat.toFixed(7)}&k=5&crs=${mapCRS}`);
  clicked.locate = r.ok ? r.body : null;
  if (clicked.locate && clicked.locate.street && clicked.locate.street.code !== kpiStreet && features.kpis && features.kpis.served) {
    kpiStreet = clicked.locate.street.code;
    loadKPIs();
  }
  highlightGrid(clicked.locate && clicked.locate.grid && clicked.locate.grid.code);
  renderCard(r);
}

function highlightGrid(code) {
  if (pickedGrid) map.setFeatureState({ source: 'grids', sourceLayer: 'grids', id: pickedGrid }, { picked: false });
  pickedGrid = null;
  if (!code) return;
  // Grid features carry their 15-digit code as the MVT id.
  pickedGrid = Number(code);
  map.setFeatureState({ source: 'grids', sourceLayer: 'grids', id: pickedGrid }, { picked: true });
}

function renderCard(r) {
  const el = $('card');
  if (!r) { el.innerHTML = `<p class="muted">${esc(t('locate'))}</p>`; return; }
  if (!r.ok) {
    el.innerHTML = `<p class="warn">${esc(r.status === 404 ? t('outside') : (r.body && r.body.detail) || r.status)}</p>`;
    return;
  }
  const L = r.body;
  const row = (k, v) => `<tr><th>${esc(t(k))}</th><td>${v}</td></tr>`;
  const people = (L.workers || []).map((w) => esc(w.name)).join('、') || '–';
  const patrols = (L.patrols || L.units || []).map((p) => `<li data-unit="${esc(p.id)}">${esc(p.callsign || p.name || p.id)} <span class="muted">${Math.round(p.distance_m)} ${esc(t('m'))}</span>${features.cases && features.cases.served ? '' : ''}</li>`).join('');
  el.innerHTML = `<table class="card">
    ${row('grid', `<b id="card-grid">${esc(L.grid ? L.grid.code : '–')}</b>${L.grid && L.grid.households != null ? ` <span class="muted">${L.grid.households} ${esc(t('households'))}</span>` : ''}`)}
    ${row('community', esc(L.community ? L.community.name : '–'))}
    ${row('street', esc(L.street ? L.street.name : '–'))}
    ${row('subcentre', esc(L.subcentre ? L.subcentre.name : '–'))}
    ${row('workstation', esc(L.workstation ? L.workstation.name : '–'))}
    ${row('workers', people)}
  </table>
  <h4>${esc(t('patrols'))}</h4><ol class="patrols">${patrols}</ol>
  <div id="create"></div>`;
  renderCreate();
}

// --- incidents and cases (issue 12), shown when gridd serves them ---

// categories for the create form, from the Open311 service list (the
// category table) when gridd serves it.
let categories = [];
function categoryName(code) {
  const c = categories.find((x) => x.code === code);
  return c ? c.name : code || '';
}

async function loadCategories() {
  if (!(await served('/open311/v2/services.json'))) return;
  const r = await api('/open311/v2/services.json');
  if (r.ok && Array.isArray(r.body)) categories = r.body.map((s) => ({ code: s.service_code, name: s.service_name }));
}

async function detect() {
  loadCategories().then(() => clicked && renderCreate());
  const [c, i, u, k] = await Promise.all([feature('/cases?limit=1'), feature('/incidents?limit=1'), feature('/units'), feature('/kpis?level=district')]);
  Object.assign(features, { cases: c, incidents: i, units: u, kpis: k });
  for (const [id, f] of [['queue-panel', c], ['kpi-panel', k]]) $(id).hidden = !f.served;
  document.body.dataset.features = Object.entries(features).filter(([, f]) => f && f.served).map(([n]) => n).join(' ');
  if (c.served) await loadCases();
  if (k.served) await loadKPIs();
  $('units-panel').hidden = !u.served;
  if (u.served && u.ok && !streaming) {
    streaming = true;
    features.events = { served: await served('/events') };
    if (features.events.served) stream(); else loadUnits();
  }
  if (clicked) renderCreate();
}

function renderCreate() {
  const el = $('create');
  if (!el) return;
  if (!features.incidents || !features.incidents.served || !clicked || !clicked.locate) { el.innerHTML = ''; return; }
  el.innerHTML = `<h4>${esc(t('create'))}</h4>
    <form id="create-form">
      <label>${esc(t('channel'))} <select name="channel">${['12345', '110', 'petition', 'portal', 'governance', 'patrol', 'grid_worker', 'video'].map((c) => `<option>${c}</option>`).join('')}</select></label>
      <label>${esc(t('category'))} ${categories.length
        ? `<select name="category">${categories.map((c) => `<option value="${esc(c.code)}">${esc(c.name)}</option>`).join('')}</select>`
        : '<input name="category" required>'}</label>
      <label>${esc(t('description'))} <input name="description"></label>
      <button type="submit">${esc(t('submit'))}</button> <span id="create-result"></span>
    </form>`;
  $('create-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const fd = new FormData(ev.target);
    const body = {
      channel: fd.get('channel'), external_id: 'console-' + crypto.randomUUID(), category: fd.get('category'),
      description: fd.get('description'), reported_at: new Date().toISOString(),
      location: { lon: clicked.lngLat.lng, lat: clicked.lngLat.lat, crs: mapCRS },
    };
    const r = await api('/incidents', { method: 'POST', body });
    $('create-result').textContent = r.ok ? `#${r.body.id}` : (r.body && r.body.detail) || String(r.status);
    if (r.ok) await loadCases(r.body.case_id);
  });
}

// caseList reads the list answer in the shapes a collection may take.
function listOf(b) {
  if (Array.isArray(b)) return b;
  if (!b) return [];
  return b.cases || b.items || b.units || (b.features && b.features.map((f) => ({ ...f.properties, id: f.id ?? f.properties.id, geometry: f.geometry }))) || [];
}

function caseLocation(c) {
  if (c.geometry && c.geometry.type === 'Point') return c.geometry.coordinates;
  if (c.location) return [c.location.lon, c.location.lat];
  const inc = (c.incidents || []).find((i) => i && i.location);
  return inc ? [inc.location.lon, inc.location.lat] : null;
}

// casePrio is a case's priority on the map and in the queue: overdue (2)
// above escalated (1) above normal (0).
const casePrio = (c) => (c.overdue ? 2 : c.escalation > 0 ? 1 : 0);
// dueOf is the time the queue sorts by: the next step's deadline, else the
// close deadline.
const dueOf = (c) => c.deadline || c.due_at || '';

async function loadCases(openId) {
  const r = await api('/cases?limit=500');
  if (!r.ok) { $('queue').innerHTML = `<p class="warn">${esc(r.status === 401 || r.status === 403 ? t('noKey') : (r.body && r.body.detail) || r.status)}</p>`; return; }
  cases = listOf(r.body);
  const open = cases.filter((c) => !['closed', 'evaluated', 'void'].includes(c.stage));
  const at = (c) => { const v = Date.parse(dueOf(c)); return Number.isNaN(v) ? Infinity : v; };
  open.sort((a, b) => at(a) - at(b) || casePrio(b) - casePrio(a) || Number(a.id) - Number(b.id));
  $('queue').innerHTML = open.map((c) => `<li class="case ${c.overdue ? 'overdue' : ''} ${c.escalation > 0 ? 'escalated' : ''}" data-case="${esc(c.id)}" data-prio="${casePrio(c)}">
      <span class="dot" style="background:${stageColor[c.stage] || '#e74c3c'};box-shadow:0 0 0 2px ${prioColor[casePrio(c)]}"></span>
      <b>#${esc(c.id)}</b> ${esc(categoryName(c.category))} <span class="stage">${esc(stageName(c.stage))}</span>
      <span class="muted">${esc(c.grid_code || '')}</span>
      <span class="deadline">${c.overdue ? `<b class="od">${esc(t('overdue'))}</b> ` : c.escalation > 0 ? `<b class="esc">${esc(t('escalated'))}</b> ` : ''}${esc(fmtTime(dueOf(c)))}</span></li>`).join('');
  $('queue-count').textContent = `${open.length}`;
  for (const li of $('queue').querySelectorAll('li')) li.addEventListener('click', () => openCase(li.dataset.case, true));
  // The case list may carry no places; the cases collection (OGC API
  // Features, issue 12) has them as geometry.
  let where = new Map();
  if (!cases.some(caseLocation) && await hasCollection('cases')) {
    const g = await api('/collections/cases/items?limit=10000');
    if (g.ok && g.body && g.body.features) where = new Map(g.body.features.map((f) => [String(f.id ?? f.properties.id), f.geometry && f.geometry.coordinates]));
  }
  map.getSource('cases').setData({ type: 'FeatureCollection', features: cases.map((c) => {
    const at = caseLocation(c) || where.get(String(c.id));
    return at && { type: 'Feature', geometry: { type: 'Point', coordinates: toMap(at) }, properties: { id: c.id, stage: c.stage, prio: casePrio(c), overdue: !!c.overdue } };
  }).filter(Boolean) });
  if (openId) openCase(openId);
  else if (openCaseId && open.some((c) => String(c.id) === String(openCaseId))) openCase(openCaseId);
}

function fmtTime(s) {
  if (!s) return '';
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? s : d.toLocaleString(lang, { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
}

// openCase shows a case with its actions and, while it may be dispatched,
// the units suggested for it (GET /cases/{id}/suggestions: available
// on-duty units of the kinds its category suits, its street's nearest
// first), each with an assign button; fly: centre the map on it.
let openCaseId = null;
let caseSeq = 0;
async function openCase(id, fly) {
  const seq = ++caseSeq;
  openCaseId = id;
  const r = await api('/cases/' + encodeURIComponent(id));
  if (seq !== caseSeq) return;
  const el = $('case');
  if (!r.ok) { el.innerHTML = `<p class="warn">${esc((r.body && r.body.detail) || r.status)}</p>`; return; }
  const c = r.body;
  if (fly && c.location) map.easeTo({ center: toMap([c.location.lon, c.location.lat]), zoom: Math.max(map.getZoom(), 14) });
  // The case says which actions it allows (allowed_actions); a verify can
  // close it or send it back (rework).
  const allowed = Array.isArray(c.allowed_actions)
    ? c.allowed_actions.flatMap((a) => (a === 'verify' ? ['verify', 'rework'] : [a])).filter((a) => a in stageActionsAll)
    : (stageActions[c.stage] || []);
  const assignable = allowed.includes('dispatch') || (allowed.includes('file') && c.stage === 'reported');
  let sugg = [];
  if (assignable) sugg = await suggestions(c);
  if (seq !== caseSeq) return;
  const acts = allowed.filter((a) => a !== 'dispatch' || !sugg.length).map((a) => `<button data-action="${a}">${esc(actionName(a))}</button>`).join(' ');
  const first = sugg[0];
  el.innerHTML = `<h4>#${esc(c.id)} · ${esc(stageName(c.stage))}</h4>
    <p>${esc(categoryName(c.category))} · ${esc(c.grid_code || '')} ${dueOf(c) ? `· ${esc(t('deadline'))} ${esc(fmtTime(dueOf(c)))}` : ''} ${c.overdue ? `<b class="od">${esc(t('overdue'))}</b>` : ''} ${c.escalation > 0 ? `<b class="esc">${esc(t('escalated'))}</b>` : ''}</p>
    ${c.unit ? `<p>${esc(t('unit'))}: <b id="case-unit">${esc(unitName(c.unit))}</b></p>` : ''}
    ${first ? `<p>${esc(t('suggested'))}: <b id="suggested" data-unit="${esc(first.unit)}">${esc(first.unit)}</b> <span class="muted">${esc(first.name || '')}</span></p>
    <ol class="suggestions">${sugg.map((u, i) => `<li data-unit="${esc(u.unit)}"><button data-assign="${i}">${esc(t('assign'))}</button>
      ${esc(u.unit)} ${esc(u.name || '')} <span class="muted">${esc(t(u.kind))} · ${Math.round(u.distance_m)} ${esc(t('m'))} · ${Math.max(1, Math.round(u.eta_s / 60))} ${esc(t('min'))}${u.same_street ? '' : ' · ' + esc(t('otherStreet'))}</span></li>`).join('')}</ol>` : ''}
    <div class="actions">${acts}</div><p id="case-msg" class="warn"></p>`;
  for (const b of el.querySelectorAll('button[data-action]')) b.addEventListener('click', () => act(c, b.dataset.action, first));
  for (const b of el.querySelectorAll('button[data-assign]')) b.addEventListener('click', () => assign(c, sugg[Number(b.dataset.assign)]));
  suggestedUnits = new Set(sugg.map((u) => u.unit));
  drawUnits();
}

// suggestions answers the case's suggested units: the suggestions route
// where gridd serves it, else the unit its routing named at intake.
async function suggestions(c) {
  if (await served('/cases/{id}/suggestions')) {
    const r = await api(`/cases/${encodeURIComponent(c.id)}/suggestions?k=5`);
    if (r.ok && r.body && Array.isArray(r.body.suggestions)) return r.body.suggestions;
  }
  const rt = c.routing || {};
  return typeof rt.unit === 'string' && rt.unit ? [{ unit: rt.unit, distance_m: rt.unit_distance_m || 0, eta_s: 0, same_street: true }] : [];
}

function unitName(id) {
  const u = units.get(String(id));
  return u && u.name ? `${id} ${u.name}` : id;
}

// assign dispatches the case to a unit, filing it first if it is only
// reported.
async function assign(c, unit) {
  if (!unit) return;
  if (c.stage === 'reported') {
    const f = await api(`/cases/${encodeURIComponent(c.id)}/events`, { method: 'POST', body: { action: 'file', note: 'console' }, headers: ifMatch(c) });
    if (!f.ok) { await refused(c, f); return; }
    c = f.body;
  }
  await act(c, 'dispatch', unit);
}

// ifMatch makes an action apply only to the case as shown: if another
// dispatcher (or a retry) changed it meanwhile, gridd answers 412.
function ifMatch(c) {
  return c && c.version ? { 'If-Match': `"${c.version}"` } : {};
}

// refused shows why an action was refused; a 412 means the case changed
// since it was shown, so it is shown again as it is now.
async function refused(c, r) {
  $('case-msg').textContent = (r.body && r.body.detail) || String(r.status);
  if (r.status === 412) {
    const msg = $('case-msg').textContent;
    await loadCases(c.id);
    $('case-msg').textContent = msg;
  }
}

async function act(c, action, suggested) {
  const body = { action, note: 'console' };
  if (action === 'dispatch') {
    if (!suggested) return;
    body.unit = suggested.unit || suggested.id;
  }
  if (action === 'verify') body.ok = true;
  if (action === 'rework') { body.action = 'verify'; body.ok = false; }
  if (action === 'evaluate') body.satisfaction = 5;
  if (action === 'void') { body.reason = 'invalid'; body.note = 'invalid (console)'; }
  const r = await api(`/cases/${encodeURIComponent(c.id)}/events`, { method: 'POST', body, headers: ifMatch(c) });
  if (!r.ok) { await refused(c, r); return; }
  await loadCases(c.id);
  if (features.kpis && features.kpis.served) loadKPIs();
}

// --- KPIs (issue 12) ---
// The KPI panel's area: the district, the visible map (viewArea) or a
// street, chosen in its select or set by a click on the map (the clicked
// point's street). The visible area follows the map as it moves.
const viewArea = '@view';
let kpiStreet = '';
let kpiSeq = 0;
function kpiQuery() {
  if (kpiStreet === viewArea) {
    const b = map.getBounds();
    const [w, s] = fromMap([b.getWest(), b.getSouth()]);
    const [e, n] = fromMap([b.getEast(), b.getNorth()]);
    return `level=district&bbox=${[w, s, e, n].map((x) => x.toFixed(6)).join(',')}`;
  }
  return kpiStreet ? `level=street&code=${encodeURIComponent(kpiStreet)}` : 'level=district';
}
async function loadKPIs() {
  const seq = ++kpiSeq;
  const r = await api('/kpis?' + kpiQuery());
  if (seq !== kpiSeq) return; // a newer area was asked for meanwhile
  if (!r.ok) { $('kpis').innerHTML = `<p class="warn">${esc(r.status === 401 || r.status === 403 ? t('noKey') : r.status)}</p>`; return; }
  const k = r.body;
  // Rates over no case due are not 0 %: shown as –.
  const rate = (x) => (k.due ? pct(x) : '–');
  const streets = [...labels.streets].sort((a, b) => String(a.props.code).localeCompare(String(b.props.code)));
  const opt = (v, label) => `<option value="${esc(v)}" ${v === kpiStreet ? 'selected' : ''}>${esc(label)}</option>`;
  $('kpis').innerHTML = `<select id="kpi-area">${opt('', t('all'))}${opt(viewArea, t('visibleArea'))}${streets.map((p) => opt(p.props.code, p.props.name)).join('')}</select>
    <table class="card">
    <tr><th>${esc(t('cases'))}</th><td id="kpi-cases">${esc(k.cases)}</td></tr>
    <tr><th>${esc(t('closure'))}</th><td id="kpi-closure">${rate(k.closure_rate)}</td></tr>
    <tr><th>${esc(t('ontime'))}</th><td>${rate(k.on_time_rate)}</td></tr>
    <tr><th>${esc(t('onsite'))}</th><td>${k.cases ? pct(k.on_site_share) : '–'}</td></tr></table>`;
  $('kpi-area').addEventListener('change', (e) => { kpiStreet = e.target.value; loadKPIs(); });
}
let kpiMove = 0;
map.on('moveend', () => {
  if (kpiStreet !== viewArea) return;
  clearTimeout(kpiMove);
  kpiMove = setTimeout(loadKPIs, 250);
});

// --- units, live from the event stream (issues 13 and 15) ---

// loadUnits reads every unit (GET /units) once the stream is open, so no
// move falls between the two; a unit the stream already moved keeps the
// stream's newer position.
async function loadUnits() {
  const r = await api('/units');
  if (!r.ok) return;
  for (const f of (r.body && r.body.features) || []) {
    const id = String(f.id ?? f.properties.id);
    const had = units.get(id);
    const u = { ...f.properties, id, at: f.properties.reported_at, loc: f.geometry && f.geometry.coordinates };
    if (had && had.at && u.at && Date.parse(had.at) > Date.parse(u.at)) { units.set(id, { ...u, ...had }); continue; }
    units.set(id, had ? { ...had, ...u } : u);
  }
  window.griddUnitsLoaded = (window.griddUnitsLoaded || 0) + 1;
  drawUnits();
}

// drawUnits sets the units' source, at most once a frame.
let drawPending = false;
function drawUnits() {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    map.getSource('units').setData({ type: 'FeatureCollection', features: [...units.values()].filter((u) => u.loc).map((u) => ({
      type: 'Feature', geometry: { type: 'Point', coordinates: toMap(u.loc) },
      properties: { id: u.id, kind: u.kind, status: u.status, name: u.name || '', suggested: suggestedUnits.has(u.id) },
    })) });
    renderUnitCounts();
  });
}

function renderUnitCounts() {
  const n = {};
  for (const u of units.values()) {
    const k = `${u.kind}.${u.status}`;
    n[k] = (n[k] || 0) + 1;
  }
  const cell = (kind, st) => `<td data-count="${kind}.${st}">${n[`${kind}.${st}`] || 0}</td>`;
  $('units').innerHTML = `<table class="card counts"><tr><th></th>${Object.keys(unitColor).map((st) => `<th><span class="dot" style="background:${unitColor[st]}"></span>${esc(t(st))}</th>`).join('')}</tr>
    ${['patrol', 'worker'].map((k) => `<tr><th>${esc(t(k + 'Kind'))}</th>${Object.keys(unitColor).map((st) => cell(k, st)).join('')}</tr>`).join('')}</table>`;
}

// stream reads /events (Server-Sent Events) with fetch, which can send the
// API key as a header (EventSource cannot), and applies unit positions and
// statuses and case changes as they come. It resumes with Last-Event-ID
// after a cut; a refused key or a missing stream ends it.
const streamTypes = 'unit.position,unit.status,case.changed,incident.created';
async function stream() {
  let last = '';
  let first = true;
  let wait = 1000;
  for (;;) {
    try {
      const headers = { Accept: 'text/event-stream' };
      const key = localStorage.getItem('gridd.key');
      if (key) headers.Authorization = 'Bearer ' + key;
      if (last) headers['Last-Event-ID'] = last;
      const res = await fetch('/events?types=' + streamTypes, { headers });
      if (res.status >= 400 && res.status < 500) { setStreamState('off'); return; }
      if (!res.ok || !res.body) throw new Error(String(res.status));
      setStreamState('live');
      wait = 1000;
      // (Re)read the units once the stream is open; after a cut, the cases
      // too (the replay covers the retained events, not a long outage).
      loadUnits();
      if (!first && features.cases && features.cases.served) loadCases();
      first = false;
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value.replace(/\r\n?/g, '\n');
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i); buf = buf.slice(i + 2);
          const ev = { type: 'message', data: '' };
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue; // heartbeat
            const c = line.indexOf(':');
            const k = c < 0 ? line : line.slice(0, c);
            const v = c < 0 ? '' : line.slice(c + 1).replace(/^ /, '');
            if (k === 'event') ev.type = v; else if (k === 'data') ev.data += (ev.data ? '\n' : '') + v; else if (k === 'id') last = v;
          }
          if (ev.data) onEvent(ev);
        }
      }
    } catch { /* reconnect below */ }
    setStreamState('reconnecting');
    await new Promise((r) => setTimeout(r, wait));
    wait = Math.min(wait * 2, 30000);
  }
}

function setStreamState(s) {
  document.body.dataset.stream = s;
  $('stream-state').textContent = t('stream_' + s);
  $('stream-state').className = 'stream ' + s;
}

// onEvent applies one stream message: {id, type, at, lon, lat, data}.
let caseReload = null;
function onEvent(ev) {
  let m;
  try { m = JSON.parse(ev.data); } catch { return; }
  const d = m.data || {};
  window.griddEvents = (window.griddEvents || 0) + 1;
  if (ev.type === 'unit.position' || ev.type === 'unit.status') {
    const id = String(d.unit);
    const had = units.get(id) || { id };
    if (had.at && d.at && Date.parse(had.at) > Date.parse(d.at) && ev.type === 'unit.position') return; // older than what is drawn
    const u = { ...had, status: d.status ?? had.status, held_case: d.held_case };
    if (m.lon != null && m.lat != null) u.loc = [m.lon, m.lat];
    if (ev.type === 'unit.position') u.at = d.at;
    units.set(id, u);
    drawUnits();
  } else if (ev.type === 'case.changed' || ev.type === 'incident.created') {
    clearTimeout(caseReload);
    caseReload = setTimeout(() => { loadCases(); if (features.kpis && features.kpis.served) loadKPIs(); }, 300);
  }
}

// renderCaseLegend explains the cases' colours: stage fill, priority ring.
function renderCaseLegend() {
  const stages = ['reported', 'filed', 'dispatched', 'handling', 'resolved'];
  $('case-legend').innerHTML = stages.map((st) => `<span><span class="dot" style="background:${stageColor[st]}"></span>${esc(stageName(st))}</span>`).join(' ')
    + '<br>' + [[0, 'normal'], [1, 'escalated'], [2, 'overdue']].map(([p, k]) => `<span><span class="dot ring" style="box-shadow:0 0 0 2px ${prioColor[p]}"></span>${esc(t(k))}</span>`).join(' ');
}

// --- page chrome ---
translate();
renderCaseLegend();
$('lang').addEventListener('click', () => setLang(lang === 'en' ? 'zh-CN' : 'en', () => {
  relabel(map, labels);
  renderCaseLegend();
  renderUnitCounts();
  if (document.body.dataset.stream) setStreamState(document.body.dataset.stream);
  if (openCaseId) openCase(openCaseId);
  if (clicked) pick(clicked.lngLat); else renderCard(null);
  if (features.cases && features.cases.served) loadCases();
  if (features.kpis && features.kpis.served) loadKPIs();
}));
keyInput($('key'), detect);
renderCard(null);
