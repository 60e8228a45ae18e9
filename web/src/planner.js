// The planner view (/planner): grids coloured by their deviation from the
// target households, a grid's figures on click, and — where this gridd
// serves issue 14's plan editing — drafts, merge/split/redraw edits with the
// validation after each, moving planning units (H3 cells) between grids by
// clicking them, the draft's diff and publish.
import { TerraDraw, TerraDrawPolygonMode } from 'terra-draw';
import { TerraDrawMapLibreGLAdapter } from 'terra-draw-maplibre-gl-adapter';
import {
  api, feature, t, lang, setLang, translate, keyInput, newMap, addDistrictLayers, followGridLabels, loadLabels, setLabelData, relabel,
  esc, pct, empty, itemsCRS, toMap, fromMap, labelPoint,
} from './common.js';

const $ = (id) => document.getElementById(id);

// deviation is (households - target) / target; the colours run from blue
// (too few) through white to red (too many), ±30 %.
const deviation = ['/', ['-', ['to-number', ['get', 'households']], ['to-number', ['get', 'target']]], ['max', 1, ['to-number', ['get', 'target']]]];
const stops = [[-0.3, '#2166ac'], [-0.15, '#92c5de'], [0, '#f7f7f7'], [0.15, '#f4a582'], [0.3, '#b2182b']];
const fillColor = ['interpolate', ['linear'], deviation, ...stops.flat()];

// The edited plan's grids (a draft, or a plan just published) replace the
// published grids' vector tiles while one is open; the diff against the
// published plan outlines the grids added or changed (from the draft) and
// those removed (from the published tiles).
const noCodes = ['literal', ['']];
const map = newMap('map', (map) => {
  map.addLayer({ id: 'grid-fill', type: 'fill', source: 'grids', 'source-layer': 'grids',
    paint: { 'fill-color': fillColor, 'fill-opacity': ['case', ['boolean', ['feature-state', 'picked'], false], 0.95, 0.7] } });
  map.addSource('draft', { type: 'geojson', data: empty(), promoteId: 'code' });
  map.addLayer({ id: 'draft-fill', type: 'fill', source: 'draft', paint: { 'fill-color': fillColor, 'fill-opacity': ['case', ['boolean', ['feature-state', 'picked'], false], 0.95, 0.75] } });
  map.addLayer({ id: 'draft-line', type: 'line', source: 'draft', paint: { 'line-color': '#4b6b8a', 'line-width': 0.6 } });
  map.addLayer({ id: 'diff-line', type: 'line', source: 'draft', filter: ['in', ['get', 'code'], noCodes],
    paint: { 'line-color': ['case', ['in', ['get', 'code'], ['literal', ['']]], '#1e8449', '#ff00aa'], 'line-width': 3 } });
  map.addLayer({ id: 'draft-picked', type: 'line', source: 'draft',
    paint: { 'line-color': '#111', 'line-width': ['case', ['boolean', ['feature-state', 'picked'], false], 3, 0] } });
  map.addLayer({ id: 'diff-removed', type: 'line', source: 'grids', 'source-layer': 'grids', filter: ['in', ['get', 'code'], noCodes],
    paint: { 'line-color': '#c0392b', 'line-width': 2.5, 'line-dasharray': [1.5, 1.5] } });
  // One grid's planning units while a move is prepared; picked ones filled.
  map.addSource('units', { type: 'geojson', data: empty(), promoteId: 'unit' });
  map.addLayer({ id: 'unit-fill', type: 'fill', source: 'units',
    paint: { 'fill-color': '#f39c12', 'fill-opacity': ['case', ['boolean', ['feature-state', 'picked'], false], 0.8, 0.05] } });
  map.addLayer({ id: 'unit-line', type: 'line', source: 'units', paint: { 'line-color': '#7d5a00', 'line-width': 0.7 } });
  addDistrictLayers(map);
});
// Shift-click adds a grid to the selection, so shift-drag does not zoom.
map.boxZoom.disable();
const labelsLoading = loadLabels(); // in parallel with the map's start
let labels = { streets: [], communities: [] };
let selected = []; // selected grids' properties (two for a merge)
let draft = null; // the draft being edited
let shown = null; // the plan whose grids the draft layer shows (the draft, or the plan just published)
let published = null; // the published plan
let grids = new Map(); // code → the shown plan's grid feature
let plansServed = false;
let draw = null;

map.on('load', async () => {
  followGridLabels(map, () => !!shown);
  labels = await labelsLoading;
  setLabelData(map, labels);
  map.once('idle', () => { window.griddIdleAt = performance.now(); detect(); });
  window.griddReady = true;
});

// drawEndedAt: the click that closes a drawn polygon is not also a
// click on the map that picks a grid.
let drawEndedAt = -Infinity;
map.on('click', (e) => {
  if (draw && draw.getMode() === 'polygon') return;
  if (performance.now() - drawEndedAt < 400) return;
  if (unitsOf && pickUnitAt(e.point)) return;
  const layers = shown ? ['draft-fill'] : ['grid-fill'];
  const f = map.queryRenderedFeatures(e.point, { layers })[0];
  if (!f) return;
  select(f.properties, e.originalEvent.shiftKey || e.originalEvent.ctrlKey);
});

// select picks a grid (add: keep the previous pick too, for a merge).
let picked = [];
function select(props, add) {
  const p = { ...props };
  selected = add ? [...selected.filter((g) => g.code !== p.code).slice(-1), p] : [p];
  paintPicked();
  renderFigures();
  renderTools();
}

function paintPicked() {
  for (const [src, id] of picked) map.setFeatureState(src === 'draft' ? { source: 'draft', id } : { source: 'grids', sourceLayer: 'grids', id }, { picked: false });
  picked = selected.map((s) => (shown ? ['draft', s.code] : ['grids', Number(s.code)]));
  for (const [src, id] of picked) map.setFeatureState(src === 'draft' ? { source: 'draft', id } : { source: 'grids', sourceLayer: 'grids', id }, { picked: true });
}

function communityName(code) {
  const c = labels.communities.find((x) => x.props.code === code);
  return c ? c.props.name : code;
}

function renderFigures() {
  const el = $('figures');
  if (!selected.length) { el.innerHTML = `<p class="muted">${esc(t('selectGrid'))}</p>`; return; }
  el.innerHTML = selected.map((g) => {
    const dev = (Number(g.households) - Number(g.target)) / Math.max(1, Number(g.target));
    return `<table class="card">
      <tr><th>${esc(t('grid'))}</th><td><b class="fig-grid">${esc(g.code)}</b></td></tr>
      <tr><th>${esc(t('community'))}</th><td>${esc(communityName(g.community_code))}</td></tr>
      <tr><th>${esc(t('households'))}</th><td class="fig-households">${esc(g.households)}</td></tr>
      <tr><th>${esc(t('target'))}</th><td>${esc(g.target)}</td></tr>
      <tr><th>${esc(t('deviation'))}</th><td class="fig-deviation">${dev >= 0 ? '+' : ''}${pct(dev)}</td></tr>
      <tr><th>${esc(t('kind'))}</th><td>${esc(t(g.kind))}</td></tr>
      ${g.locked === true || g.locked === 'true' ? `<tr><th>${esc(t('locked'))}</th><td>🔒</td></tr>` : ''}</table>`;
  }).join('<hr>');
}

function renderLegend() {
  $('legend').innerHTML = stops.map(([v, c]) => `<div class="legend-row"><span class="sw" style="background:${c}"></span>${v > 0 ? '+' : ''}${Math.round(v * 100)} %</div>`).join('');
}

// --- plan editing (issue 14): drafts, edits, validation, diff, publish ---

async function detect() {
  const f = await feature('/plans');
  plansServed = f.served;
  document.body.dataset.features = f.served ? 'plans' : '';
  if (!f.served) { $('plans').innerHTML = `<p class="muted">${esc(t('planNone'))}</p>`; return; }
  if (!f.ok) { $('plans').innerHTML = `<p class="warn">${esc(f.status === 401 || f.status === 403 ? t('noKey') : f.status)}</p>`; return; }
  renderPlans(listPlans(f.body));
}

function listPlans(b) {
  return Array.isArray(b) ? b : (b && (b.plans || b.items)) || [];
}

let plans = [];
async function refreshPlans() {
  const r = await api('/plans');
  if (r.ok) renderPlans(listPlans(r.body));
}

function renderPlans(list) {
  plans = list;
  published = plans.find((p) => p.status === 'published') || null;
  $('plans').innerHTML = `<ul class="plans">${plans.slice(0, 8).map((p) => `<li data-plan="${esc(p.id)}" class="${shown && String(shown.id) === String(p.id) ? 'open' : ''}">
      #${esc(p.id)} <span class="status ${esc(p.status)}">${esc(t('status_' + p.status))}</span> <span class="muted">${esc(p.grids ?? '')} ${esc(t('gridsN'))}</span>
      ${p.status === 'draft' ? `<button data-edit="${esc(p.id)}">${esc(t('edit'))}</button>` : ''}</li>`).join('')}</ul>
    ${published ? `<button id="new-draft">${esc(t('draft'))}</button>` : ''}`;
  if (published) $('new-draft').addEventListener('click', async () => {
    const r = await api(`/plans/${published.id}/drafts`, { method: 'POST', body: {} });
    if (r.ok) { await edit(r.body); } else msg(r);
  });
  for (const b of $('plans').querySelectorAll('button[data-edit]')) b.addEventListener('click', () => edit(plans.find((d) => String(d.id) === b.dataset.edit)));
  renderTools();
}

// renderTools shows the edit tools of the open draft, enabled by what is
// selected: merge two grids, split one, redraw one with a polygon, lock or
// unlock, publish.
function renderTools() {
  const el = $('tools');
  el.hidden = !draft;
  if (!draft) return;
  const one = selected.length >= 1, two = selected.length === 2;
  const locked = one && selected.every((g) => g.locked === true || g.locked === 'true');
  el.innerHTML = `<p>${esc(t('editing'))} <b id="draft-id">#${esc(draft.id)}</b> · ${esc(t('selected'))}: <span id="sel">${selected.map((g) => esc(g.code)).join(', ') || '–'}</span></p>
    <p class="muted">${esc(t('selectHint'))}</p>
    <button id="op-merge" ${two ? '' : 'disabled'}>${esc(t('merge'))}</button>
    <button id="op-split" ${one ? '' : 'disabled'}>${esc(t('split'))}</button> <input id="split-n" type="number" min="2" max="20" value="2" title="n">
    <button id="op-redraw" ${one ? '' : 'disabled'}>${esc(t('redraw'))}</button>
    <button id="op-lock" ${one ? '' : 'disabled'}>${esc(t(locked ? 'unlock' : 'lock'))}</button>
    <button id="op-units" ${one || unitsOf ? '' : 'disabled'} class="${unitsOf ? 'on' : ''}">${esc(t('move'))}</button>
    <button id="op-publish">${esc(t('publish'))}</button>
    ${unitsOf ? `<p id="move-tools">${esc(t('moveHint'))}<br>${esc(t('unitsPicked'))}: <b id="units-picked">${pickedUnits.size}</b> · ${esc(t('moveTo'))}: <b id="move-to">${esc(moveTarget() || '–')}</b>
      <button id="op-move" ${pickedUnits.size && moveTarget() ? '' : 'disabled'}>${esc(t('moveGo'))}</button></p>` : ''}
    <p id="op-msg"></p>`;
  $('op-merge').addEventListener('click', () => op({ op: 'merge', grids: selected.map((g) => g.code) }));
  $('op-split').addEventListener('click', () => op({ op: 'split', grid: selected[selected.length - 1].code, n: Number($('split-n').value) || 2 }));
  $('op-redraw').addEventListener('click', startRedraw);
  $('op-lock').addEventListener('click', () => op({ op: locked ? 'unlock' : 'lock', grids: selected.map((g) => g.code) }));
  $('op-publish').addEventListener('click', publish);
  $('op-units').addEventListener('click', () => (unitsOf ? closeUnits() : openUnits(selected[0].code)));
  if (unitsOf) $('op-move').addEventListener('click', () => op({ op: 'move', units: [...pickedUnits], to: moveTarget() }));
}

// --- moving units: the source grid's units are drawn; a click on one
// picks or drops it, a click on another grid (shift-click keeps the source
// selected) names where the picked units go. ---
let unitsOf = null; // the grid whose units are shown
let pickedUnits = new Set();
function moveTarget() {
  const to = selected.find((g) => g.code !== unitsOf);
  return to ? to.code : '';
}

async function openUnits(code) {
  const r = await api(`/plans/${draft.id}/units?grid=${encodeURIComponent(code)}`);
  if (!r.ok) return msg(r);
  closeUnits(false);
  unitsOf = code;
  const fs = r.body.features.map((f) => ({ ...f, geometry: toMapGeom(f.geometry) }));
  map.getSource('units').setData({ type: 'FeatureCollection', features: fs });
  window.griddUnits = { grid: code, n: fs.length };
  renderTools();
}

function closeUnits(render = true) {
  for (const u of pickedUnits) map.setFeatureState({ source: 'units', id: u }, { picked: false });
  pickedUnits = new Set();
  unitsOf = null;
  window.griddUnits = null;
  map.getSource('units').setData(empty());
  if (render) renderTools();
}

// pickUnitAt toggles the unit under the point; false when there is none.
function pickUnitAt(point) {
  const f = map.queryRenderedFeatures(point, { layers: ['unit-fill'] })[0];
  if (!f) return false;
  const id = f.properties.unit;
  if (pickedUnits.has(id)) pickedUnits.delete(id); else pickedUnits.add(id);
  map.setFeatureState({ source: 'units', id }, { picked: pickedUnits.has(id) });
  renderTools();
  return true;
}

function msg(r, el = $('op-msg') || $('plans')) {
  const b = r.body || {};
  const findings = [...(b.errors || []), ...(Array.isArray(b.findings) ? b.findings : [])].slice(0, 5).map((f) => f.message || f.rule).filter(Boolean);
  el.textContent = [(b.detail || b.title || String(r.status)), ...findings].join(' · ');
  el.className = 'warn';
  document.body.dataset.lastError = el.textContent;
}

// edit opens a draft: its grids replace the published ones on the map,
// with its validation and its diff against the published plan.
async function edit(plan) {
  draft = plan;
  await show(plan);
  await Promise.all([loadValidation(), loadDiff()]);
  await refreshPlans();
}

// show draws a plan's grids (GeoJSON, in the map's system) over the
// published plan's tiles, which are hidden.
async function show(plan) {
  const r = await api(`/collections/grids/items?plan=${plan.id}&limit=10000${itemsCRS}`);
  if (!r.ok) return msg(r);
  shown = plan;
  grids = new Map(r.body.features.map((f) => [f.properties.code, f]));
  selected = [];
  paintPicked();
  drawShown();
  // The published grids' fill and outlines give way to the shown plan's.
  map.setLayoutProperty('grid-fill', 'visibility', 'none');
  map.setLayoutProperty('grid-line', 'visibility', 'none');
  renderFigures();
}

// drawShown draws the shown plan's grids and their labels.
function drawShown() {
  const fs = [...grids.values()];
  map.getSource('draft').setData({ type: 'FeatureCollection', features: fs });
  map.getSource('grid-labels').setData({ type: 'FeatureCollection', features: fs.map((f) => {
    const at = labelPoint(f.geometry);
    return at && { type: 'Feature', geometry: { type: 'Point', coordinates: at }, properties: { code: f.properties.code } };
  }).filter(Boolean) });
}

// toMapGeom converts an API geometry (WGS84) to the map's system.
function toMapGeom(g) {
  const conv = (c) => (typeof c[0] === 'number' ? toMap(c) : c.map(conv));
  return { ...g, coordinates: conv(g.coordinates) };
}

let validation = null;
async function loadValidation(touched) {
  const r = await api(`/plans/${draft.id}/validation`);
  if (!r.ok) return msg(r);
  const v = r.body;
  const before = validation;
  validation = { errors: (v.errors || []).length, warnings: (v.warnings || []).length };
  window.griddValidation = { ...validation, plan: draft.id };
  $('validation-panel').hidden = false;
  const delta = (k) => (before && before[k] !== validation[k] ? ` <span class="delta">(${validation[k] > before[k] ? '+' : ''}${validation[k] - before[k]})</span>` : '');
  const list = (xs) => (xs || []).slice(0, 200).map((f) => `<li data-grid="${esc(f.grid || '')}" class="${touched && touched.has(f.grid || f.community) ? 'touched' : ''}">
    <b>${esc(f.grid || f.community || '')}</b> ${esc(t('rule_' + f.rule) === 'rule_' + f.rule ? f.rule : t('rule_' + f.rule))} <span class="muted">${esc(f.message || '')}</span></li>`).join('');
  $('validation').innerHTML = `<h4>${esc(t('errors'))} <span id="val-errors">${validation.errors}</span>${delta('errors')}</h4><ul class="findings">${list(v.errors)}</ul>
    <h4>${esc(t('warnings'))} <span id="val-warnings">${validation.warnings}</span>${delta('warnings')}</h4><ul class="findings">${list(v.warnings)}</ul>`;
  for (const li of $('validation').querySelectorAll('li[data-grid]')) li.addEventListener('click', () => focusGrid(li.dataset.grid));
}

function focusGrid(code) {
  const f = grids.get(code);
  if (!f) return;
  select(f.properties, false);
  const b = bounds(f.geometry);
  map.fitBounds(b, { padding: 80, maxZoom: 16 });
}

function bounds(g) {
  let w = Infinity, s = Infinity, e = -Infinity, n = -Infinity;
  const walk = (c) => { if (typeof c[0] === 'number') { w = Math.min(w, c[0]); e = Math.max(e, c[0]); s = Math.min(s, c[1]); n = Math.max(n, c[1]); } else c.forEach(walk); };
  walk(g.coordinates);
  return [[w, s], [e, n]];
}

// loadDiff compares the draft with the published plan and outlines the
// grids added (green) and changed (magenta) on the draft and the removed
// ones (red, dashed) on the published tiles.
async function loadDiff() {
  if (!draft || !published || String(published.id) === String(draft.id)) return;
  const r = await api(`/plans/${published.id}/diff/${draft.id}`);
  if (!r.ok) return;
  const d = r.body;
  const added = d.added.map((g) => g.code), changed = d.changed.map((g) => g.code), removed = d.removed.map((g) => g.code);
  const lit = (xs) => ['literal', xs.length ? xs : ['']];
  map.setFilter('diff-line', ['in', ['get', 'code'], lit([...added, ...changed])]);
  map.setPaintProperty('diff-line', 'line-color', ['case', ['in', ['get', 'code'], lit(added)], '#1e8449', '#ff00aa']);
  map.setFilter('diff-removed', ['in', ['get', 'code'], lit(removed)]);
  window.griddDiff = { added, changed, removed };
  const im = d.impact || {};
  $('diff-panel').hidden = false;
  $('diff').innerHTML = `<table class="card">
    <tr><th><span class="sw" style="border-color:#1e8449"></span>${esc(t('added'))}</th><td id="diff-added">${added.length}</td></tr>
    <tr><th><span class="sw" style="border-color:#ff00aa"></span>${esc(t('changed'))}</th><td id="diff-changed">${changed.length}</td></tr>
    <tr><th><span class="sw dashed" style="border-color:#c0392b"></span>${esc(t('removed'))}</th><td id="diff-removed">${removed.length}</td></tr>
    <tr><th>${esc(t('householdsMoved'))}</th><td>${esc(im.households_moved ?? 0)}</td></tr>
    <tr><th>${esc(t('workersMoved'))}</th><td>${esc(im.workers_moved ?? 0)}</td></tr>
    ${im.open_cases_moved != null ? `<tr><th>${esc(t('casesMoved'))}</th><td>${esc(im.open_cases_moved)}</td></tr>` : ''}</table>`;
}

function clearDiff() {
  map.setFilter('diff-line', ['in', ['get', 'code'], noCodes]);
  map.setFilter('diff-removed', ['in', ['get', 'code'], noCodes]);
  $('diff-panel').hidden = true;
}

// op sends one edit; the answer's changed grids replace theirs on the map
// and its removed codes go, then the validation and the diff refresh.
let busy = false;
async function op(body) {
  if (busy || !draft) return;
  busy = true;
  document.body.dataset.busy = '1';
  $('op-msg').textContent = t('working');
  try {
    const r = await api(`/plans/${draft.id}/edits`, { method: 'POST', body });
    window.griddLastOp = { op: body.op, status: r.status };
    if (!r.ok) return msg(r);
    if (unitsOf) closeUnits(false);
    for (const code of r.body.removed || []) grids.delete(code);
    for (const f of r.body.changed || []) grids.set(f.properties.code, { ...f, geometry: toMapGeom(f.geometry), properties: { ...f.properties, plan_id: draft.id } });
    drawShown();
    const touched = new Set((r.body.changed || []).flatMap((f) => [f.properties.code, f.properties.community_code]));
    const keep = (r.body.changed || []).map((f) => f.properties).filter((p) => selected.some((g) => g.code === p.code));
    selected = keep.length ? keep : (r.body.changed || []).slice(0, 1).map((f) => f.properties);
    paintPicked();
    renderFigures();
    renderTools();
    $('op-msg').textContent = '';
    window.griddEdits = (window.griddEdits || 0) + 1;
    await Promise.all([loadValidation(touched), loadDiff(), refreshPlans()]);
    $('op-msg').className = 'ok';
    $('op-msg').textContent = `${t('op_' + body.op) === 'op_' + body.op ? body.op : t('op_' + body.op)} ✓ ${(r.body.changed || []).map((f) => f.properties.code).join(', ')}`;
  } finally {
    busy = false;
    delete document.body.dataset.busy;
  }
}

async function publish() {
  const r = await api(`/plans/${draft.id}/publish`, { method: 'POST', body: {} });
  if (!r.ok) return msg(r);
  // The published plan stays drawn from its GeoJSON: the published tiles
  // may be cached for a minute.
  shown = { ...draft, status: 'published' };
  draft = null;
  clearDiff();
  $('validation-panel').hidden = true;
  window.griddPublished = shown.id;
  await refreshPlans();
  $('plans').insertAdjacentHTML('beforeend', `<p id="published-msg">${esc(t('publishedMsg'))} #${esc(shown.id)}</p>`);
}

// startRedraw draws a polygon (terra-draw) that the selected grid takes
// over within its community.
let redrawGrid = null;
function startRedraw() {
  redrawGrid = selected[selected.length - 1];
  if (!redrawGrid) return;
  if (!draw) {
    draw = new TerraDraw({ adapter: new TerraDrawMapLibreGLAdapter({ map }), modes: [new TerraDrawPolygonMode()] });
    draw.start();
    draw.on('finish', (id) => {
      drawEndedAt = performance.now();
      const f = draw.getSnapshotFeature(id);
      draw.clear();
      draw.setMode('static');
      document.body.dataset.drawing = '';
      if (!f || f.geometry.type !== 'Polygon') {
        $('op-msg').className = 'warn';
        $('op-msg').textContent = t('drawLost');
        return;
      }
      if (redrawGrid) op({ op: 'redraw', grid: redrawGrid.code, polygon: { type: 'Polygon', coordinates: f.geometry.coordinates.map((ring) => ring.map(fromMap)) } });
    });
  }
  draw.setMode('polygon');
  document.body.dataset.drawing = '1';
  $('op-msg').textContent = t('drawHint');
}

translate();
renderLegend();
renderFigures();
$('lang').addEventListener('click', () => setLang(lang === 'en' ? 'zh-CN' : 'en', () => {
  relabel(map, labels);
  renderFigures();
  if (plansServed) detect();
  if (draft) { loadValidation(); loadDiff(); }
}));
keyInput($('key'), detect);
