// The dispatcher console (/): the district's layers, the locate card for a
// clicked point, and — where this gridd serves them — incidents and cases
// on the map, the case queue, creating and assigning incidents, moving
// cases through their stages, KPIs and units live from the event stream.
import {
  api, feature, served, hasCollection, t, lang, setLang, translate, keyInput, newMap, addDistrictLayers, followGridLabels, loadLabels, setLabelData, relabel,
  esc, pct, empty, toMap, mapCRS, stageName, actionName, maplibregl,
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

const map = newMap('map', (map) => {
  map.addLayer({ id: 'grid-fill', type: 'fill', source: 'grids', 'source-layer': 'grids', minzoom: 11,
    paint: { 'fill-color': '#5d8aa8', 'fill-opacity': ['case', ['boolean', ['feature-state', 'picked'], false], 0.35, 0.04] } });
  addDistrictLayers(map);
  map.addSource('picked', { type: 'geojson', data: empty() });
  map.addLayer({ id: 'picked', type: 'circle', source: 'picked', paint: { 'circle-radius': 4, 'circle-color': '#000', 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } });
  map.addSource('cases', { type: 'geojson', data: empty() });
  map.addLayer({ id: 'cases', type: 'circle', source: 'cases', paint: {
    'circle-color': ['match', ['get', 'stage'], ...Object.entries(stageColor).flat(), '#e74c3c'],
    'circle-radius': ['interpolate', ['linear'], ['coalesce', ['get', 'priority'], 3], 1, 10, 5, 5],
    'circle-stroke-color': ['case', ['boolean', ['get', 'overdue'], false], '#c0392b', '#fff'],
    'circle-stroke-width': ['case', ['boolean', ['get', 'overdue'], false], 3, 1.5],
  } });
  map.addSource('units', { type: 'geojson', data: empty() });
  map.addLayer({ id: 'units', type: 'circle', source: 'units', paint: {
    'circle-radius': 5, 'circle-color': ['match', ['get', 'status'], 'available', '#16a085', 'busy', '#8e44ad', '#95a5a6'],
    'circle-stroke-color': '#fff', 'circle-stroke-width': 1 } });
});
const labelsLoading = loadLabels(); // in parallel with the map's start
let labels = { streets: [], communities: [] };
let clicked = null; // {lngLat, locate}
const features = { cases: null, incidents: null, units: null, events: null, kpis: null };
let cases = [];
let units = new Map();

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
  if (u.served) await loadUnits();
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

async function loadCases(openId) {
  const r = await api('/cases?limit=500');
  if (!r.ok) { $('queue').innerHTML = `<p class="warn">${esc(r.status === 401 || r.status === 403 ? t('noKey') : (r.body && r.body.detail) || r.status)}</p>`; return; }
  cases = listOf(r.body);
  const open = cases.filter((c) => !['closed', 'evaluated', 'void'].includes(c.stage));
  open.sort((a, b) => String(a.deadline || '9999').localeCompare(String(b.deadline || '9999')));
  $('queue').innerHTML = open.map((c) => `<li class="case ${c.overdue ? 'overdue' : ''}" data-case="${esc(c.id)}">
      <span class="dot" style="background:${stageColor[c.stage] || '#e74c3c'}"></span>
      <b>#${esc(c.id)}</b> ${esc(categoryName(c.category))} <span class="stage">${esc(stageName(c.stage))}</span>
      <span class="muted">${esc(c.grid_code || '')}</span>
      <span class="deadline">${c.overdue ? `<b class="od">${esc(t('overdue'))}</b> ` : ''}${esc(fmtTime(c.deadline))}</span></li>`).join('');
  for (const li of $('queue').querySelectorAll('li')) li.addEventListener('click', () => openCase(li.dataset.case));
  // The case list may carry no places; the cases collection (OGC API
  // Features, issue 12) has them as geometry.
  let where = new Map();
  if (!cases.some(caseLocation) && await hasCollection('cases')) {
    const g = await api('/collections/cases/items?limit=10000');
    if (g.ok && g.body && g.body.features) where = new Map(g.body.features.map((f) => [String(f.id ?? f.properties.id), f.geometry && f.geometry.coordinates]));
  }
  map.getSource('cases').setData({ type: 'FeatureCollection', features: cases.map((c) => {
    const at = caseLocation(c) || where.get(String(c.id));
    return at && { type: 'Feature', geometry: { type: 'Point', coordinates: toMap(at) }, properties: { id: c.id, stage: c.stage, priority: c.priority, overdue: !!c.overdue } };
  }).filter(Boolean) });
  if (openId) openCase(openId);
}

function fmtTime(s) {
  if (!s) return '';
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? s : d.toLocaleString(lang, { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
}

async function openCase(id) {
  const r = await api('/cases/' + encodeURIComponent(id));
  const el = $('case');
  if (!r.ok) { el.innerHTML = `<p class="warn">${esc((r.body && r.body.detail) || r.status)}</p>`; return; }
  const c = r.body;
  const suggested = suggestedUnit(c);
  // The case says which actions it allows (allowed_actions); a verify can
  // close it or send it back (rework).
  const allowed = Array.isArray(c.allowed_actions)
    ? c.allowed_actions.flatMap((a) => (a === 'verify' ? ['verify', 'rework'] : [a])).filter((a) => a in stageActionsAll)
    : (stageActions[c.stage] || []);
  const acts = allowed.map((a) => `<button data-action="${a}">${esc(actionName(a))}</button>`).join(' ');
  el.innerHTML = `<h4>#${esc(c.id)} · ${esc(stageName(c.stage))}</h4>
    <p>${esc(categoryName(c.category))} · ${esc(c.grid_code || '')} ${c.deadline ? `· ${esc(t('deadline'))} ${esc(fmtTime(c.deadline))}` : ''} ${c.overdue ? `<b class="od">${esc(t('overdue'))}</b>` : ''}</p>
    ${suggested ? `<p>${esc(t('suggested'))}: <b id="suggested">${esc(suggested.callsign || suggested.name || suggested.id)}</b></p>` : ''}
    <div class="actions">${acts}</div><p id="case-msg" class="warn"></p>`;
  for (const b of el.querySelectorAll('button[data-action]')) b.addEventListener('click', () => act(c, b.dataset.action, suggested));
}

// suggestedUnit reads the routing's suggested on-site unit (issue 12:
// routing.unit, the unit id, with unit_distance_m).
function suggestedUnit(c) {
  const r = c.routing || (c.incidents && c.incidents[0] && c.incidents[0].routing) || {};
  if (typeof r.unit === 'string' && r.unit) return { id: r.unit, distance_m: r.unit_distance_m };
  if (r.unit && r.unit.id) return r.unit;
  return null;
}

async function act(c, action, suggested) {
  const body = { action, note: 'console' };
  if (action === 'dispatch') {
    if (!suggested) return;
    body.unit = suggested.id;
  }
  if (action === 'verify') body.ok = true;
  if (action === 'rework') { body.action = 'verify'; body.ok = false; }
  if (action === 'evaluate') body.satisfaction = 5;
  if (action === 'void') { body.reason = 'invalid'; body.note = 'invalid (console)'; }
  const r = await api(`/cases/${encodeURIComponent(c.id)}/events`, { method: 'POST', body });
  if (!r.ok) { $('case-msg').textContent = (r.body && r.body.detail) || String(r.status); return; }
  await loadCases(c.id);
  if (features.kpis && features.kpis.served) loadKPIs();
}

// --- KPIs (issue 12) ---
async function loadKPIs() {
  const street = clicked && clicked.locate && clicked.locate.street;
  const q = street ? `level=street&code=${encodeURIComponent(street.code)}` : 'level=district';
  const r = await api('/kpis?' + q);
  if (!r.ok) { $('kpis').innerHTML = `<p class="warn">${esc(r.status === 401 || r.status === 403 ? t('noKey') : r.status)}</p>`; return; }
  const k = r.body;
  $('kpis').innerHTML = `<p class="muted">${esc(street ? street.name : t('all'))}</p><table class="card">
    <tr><th>${esc(t('cases'))}</th><td>${esc(k.cases)}</td></tr>
    <tr><th>${esc(t('closure'))}</th><td id="kpi-closure">${pct(k.closure_rate)}</td></tr>
    <tr><th>${esc(t('ontime'))}</th><td>${pct(k.on_time_rate)}</td></tr>
    <tr><th>${esc(t('onsite'))}</th><td>${pct(k.on_site_share)}</td></tr></table>`;
}

// --- units, live from the event stream (issue 13) ---
async function loadUnits() {
  const r = await api('/units');
  if (!r.ok) return;
  units = new Map(listOf(r.body).map((u) => [String(u.id), u]));
  drawUnits();
  features.events = { served: await served('/events') };
  if (features.events.served) stream();
}

function drawUnits() {
  map.getSource('units').setData({ type: 'FeatureCollection', features: [...units.values()].map((u) => {
    const at = u.geometry ? u.geometry.coordinates : (u.lon != null ? [u.lon, u.lat] : u.location ? [u.location.lon, u.location.lat] : null);
    return at && { type: 'Feature', geometry: { type: 'Point', coordinates: toMap(at) }, properties: { id: String(u.id), status: u.status } };
  }).filter(Boolean) });
}

// stream reads /events (Server-Sent Events) with fetch, which can send the
// API key, and applies unit positions and case changes as they come.
async function stream() {
  let last = '';
  for (;;) {
    try {
      const headers = { Accept: 'text/event-stream' };
      const key = localStorage.getItem('gridd.key');
      if (key) headers.Authorization = 'Bearer ' + key;
      if (last) headers['Last-Event-ID'] = last;
      const res = await fetch('/events', { headers });
      if (!res.ok || !res.body) return;
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i); buf = buf.slice(i + 2);
          const ev = { type: 'message', data: '' };
          for (const line of block.split('\n')) {
            const [k, ...rest] = line.split(':');
            const v = rest.join(':').replace(/^ /, '');
            if (k === 'event') ev.type = v; else if (k === 'data') ev.data += v; else if (k === 'id') last = v;
          }
          onEvent(ev);
        }
      }
    } catch { /* reconnect below */ }
    await new Promise((r) => setTimeout(r, 2000));
  }
}

let caseReload = null;
function onEvent(ev) {
  let d;
  try { d = JSON.parse(ev.data); } catch { return; }
  if (ev.type.startsWith('unit')) {
    const u = d.unit && typeof d.unit === 'object' ? d.unit : d;
    const id = String(u.id ?? u.unit);
    units.set(id, { ...(units.get(id) || {}), ...u, id });
    drawUnits();
  } else if (ev.type.startsWith('case') || ev.type.startsWith('incident')) {
    clearTimeout(caseReload);
    caseReload = setTimeout(() => loadCases(), 300);
  }
}

// --- page chrome ---
translate();
$('lang').addEventListener('click', () => setLang(lang === 'en' ? 'zh-CN' : 'en', () => {
  relabel(map, labels);
  if (clicked) pick(clicked.lngLat); else renderCard(null);
  if (features.cases && features.cases.served) loadCases();
  if (features.kpis && features.kpis.served) loadKPIs();
}));
keyInput($('key'), detect);
renderCard(null);
