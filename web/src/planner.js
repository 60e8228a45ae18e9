// The planner view (/planner): grids coloured by their deviation from the
// target households, a grid's figures on click, and — where this gridd
// serves issue 14's plan editing — drafts, merge/split/redraw edits with the
// validation after each, the draft's diff and publish.
import { TerraDraw, TerraDrawPolygonMode } from 'terra-draw';
import { TerraDrawMapLibreGLAdapter } from 'terra-draw-maplibre-gl-adapter';
import {
  api, feature, t, lang, setLang, translate, keyInput, newMap, addDistrictLayers, followGridLabels, loadLabels, setLabelData, relabel,
  esc, pct, empty, itemsCRS,
} from './common.js';

const $ = (id) => document.getElementById(id);

// deviation is (households - target) / target; the colours run from blue
// (too few) through white to red (too many), ±30 %.
const deviation = ['/', ['-', ['to-number', ['get', 'households']], ['to-number', ['get', 'target']]], ['max', 1, ['to-number', ['get', 'target']]]];
const stops = [[-0.3, '#2166ac'], [-0.15, '#92c5de'], [0, '#f7f7f7'], [0.15, '#f4a582'], [0.3, '#b2182b']];
const fillColor = ['interpolate', ['linear'], deviation, ...stops.flat()];

const map = newMap('map', (map) => {
  map.addLayer({ id: 'grid-fill', type: 'fill', source: 'grids', 'source-layer': 'grids',
    paint: { 'fill-color': fillColor, 'fill-opacity': ['case', ['boolean', ['feature-state', 'picked'], false], 0.95, 0.7] } });
  map.addSource('draft', { type: 'geojson', data: empty() });
  map.addLayer({ id: 'draft-fill', type: 'fill', source: 'draft', paint: { 'fill-color': fillColor, 'fill-opacity': 0.85 } });
  map.addLayer({ id: 'draft-line', type: 'line', source: 'draft', paint: { 'line-color': '#222', 'line-width': 1 } });
  map.addSource('diff', { type: 'geojson', data: empty() });
  map.addLayer({ id: 'diff-line', type: 'line', source: 'diff', paint: { 'line-color': '#ff00aa', 'line-width': 3, 'line-dasharray': [2, 1] } });
  addDistrictLayers(map);
});
const labelsLoading = loadLabels(); // in parallel with the map's start
let labels = { streets: [], communities: [] };
let selected = []; // selected grids' properties (two for a merge)
let draft = null; // the plan being edited
let plansServed = false;
let draw = null;

map.on('load', async () => {
  followGridLabels(map);
  labels = await labelsLoading;
  setLabelData(map, labels);
  map.once('idle', () => { window.griddIdleAt = performance.now(); detect(); });
  window.griddReady = true;
});

map.on('click', (e) => {
  if (draw && draw.getMode() === 'polygon') return;
  const layers = draft ? ['draft-fill'] : ['grid-fill'];
  const f = map.queryRenderedFeatures(e.point, { layers })[0];
  if (!f) return;
  select(f, e.originalEvent.shiftKey);
});

let picked = [];
function select(f, add) {
  const p = { ...f.properties };
  selected = add ? [...selected.slice(-1), p] : [p];
  for (const id of picked) map.setFeatureState({ source: 'grids', sourceLayer: 'grids', id }, { picked: false });
  picked = draft ? [] : selected.map((s) => Number(s.code));
  for (const id of picked) map.setFeatureState({ source: 'grids', sourceLayer: 'grids', id }, { picked: true });
  renderFigures();
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
      <tr><th>${esc(t('kind'))}</th><td>${esc(t(g.kind))}</td></tr></table>`;
  }).join('<hr>');
}

function renderLegend() {
  $('legend').innerHTML = stops.map(([v, c]) => `<div class="legend-row"><span class="sw" style="background:${c}"></span>${v > 0 ? '+' : ''}${Math.round(v * 100)} %</div>`).join('');
}

// --- plan editing (issue 14), shown when gridd serves /plans ---

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

function renderPlans(plans) {
  const published = plans.find((p) => p.status === 'published');
  const drafts = plans.filter((p) => p.status === 'draft');
  $('plans').innerHTML = `<ul>${plans.map((p) => `<li>#${esc(p.id)} ${esc(p.status)} ${p.status === 'draft' ? `<button data-edit="${esc(p.id)}">✎</button>` : ''}</li>`).join('')}</ul>
    ${published ? `<button id="new-draft">${esc(t('draft'))}</button>` : ''}
    <div class="tools" id="tools" ${draft ? '' : 'hidden'}>
      <button id="op-merge">${esc(t('merge'))}</button>
      <button id="op-split">${esc(t('split'))}</button>
      <button id="op-redraw">${esc(t('redraw'))}</button>
      <button id="op-publish">${esc(t('publish'))}</button>
      <p id="op-msg" class="warn"></p>
    </div>`;
  if (published) $('new-draft').addEventListener('click', async () => {
    const r = await api(`/plans/${published.id}/drafts`, { method: 'POST', body: {} });
    if (r.ok) { await edit(r.body); } else msg(r);
  });
  for (const b of $('plans').querySelectorAll('button[data-edit]')) b.addEventListener('click', () => edit(drafts.find((d) => String(d.id) === b.dataset.edit)));
  if (!draft) return;
  $('op-merge').addEventListener('click', () => op({ op: 'merge', grids: selected.slice(-2).map((g) => g.code) }));
  $('op-split').addEventListener('click', () => op({ op: 'split', grid: selected[selected.length - 1]?.code, n: 2 }));
  $('op-redraw').addEventListener('click', startRedraw);
  $('op-publish').addEventListener('click', async () => {
    const r = await api(`/plans/${draft.id}/publish`, { method: 'POST', body: {} });
    if (!r.ok) return msg(r);
    draft = null;
    map.getSource('draft').setData(empty());
    map.getSource('diff').setData(empty());
    $('validation-panel').hidden = true;
    detect();
  });
}

function msg(r) {
  const el = $('op-msg') || $('plans');
  el.textContent = (r.body && (r.body.detail || r.body.title)) || String(r.status);
}

async function edit(plan) {
  draft = plan;
  selected = [];
  renderFigures();
  await Promise.all([loadDraft(), loadValidation()]);
  const r = await api('/plans');
  if (r.ok) renderPlans(listPlans(r.body));
}

async function loadDraft() {
  const r = await api(`/collections/grids/items?plan=${draft.id}&limit=10000${itemsCRS}`);
  if (r.ok) map.getSource('draft').setData(r.body);
  if (draft.parent) {
    const d = await api(`/plans/${draft.parent}/diff/${draft.id}`, { headers: { Accept: 'application/geo+json' } });
    if (d.ok && d.body && d.body.type === 'FeatureCollection') map.getSource('diff').setData(d.body);
  }
}

async function loadValidation(v) {
  if (!v) {
    const r = await api(`/plans/${draft.id}/validation`);
    if (!r.ok) return;
    v = r.body;
  }
  $('validation-panel').hidden = false;
  const list = (xs) => (xs || []).map((f) => `<li>${esc(f.grid || '')} ${esc(f.rule || '')} ${esc(f.value ?? '')}${f.limit != null ? ' / ' + esc(f.limit) : ''}</li>`).join('');
  $('validation').innerHTML = `<h4>${esc(t('errors'))} <span id="val-errors">${(v.errors || []).length}</span></h4><ul>${list(v.errors)}</ul>
    <h4>${esc(t('warnings'))} <span id="val-warnings">${(v.warnings || []).length}</span></h4><ul>${list(v.warnings)}</ul>`;
}

// op sends one edit and shows the validation it answers.
async function op(body) {
  const r = await api(`/plans/${draft.id}/edits`, { method: 'POST', body });
  if (!r.ok) return msg(r);
  $('op-msg').textContent = '';
  await loadDraft();
  await loadValidation(r.body && r.body.validation);
}

let redrawGrid = null;
function startRedraw() {
  redrawGrid = selected[selected.length - 1];
  if (!redrawGrid) return;
  if (!draw) {
    draw = new TerraDraw({ adapter: new TerraDrawMapLibreGLAdapter({ map }), modes: [new TerraDrawPolygonMode()] });
    draw.on('finish', (id) => {
      const f = draw.getSnapshotFeature(id);
      draw.clear();
      draw.setMode('static');
      if (f && redrawGrid) op({ op: 'redraw', grid: redrawGrid.code, polygon: f.geometry });
    });
  }
  draw.start();
  draw.setMode('polygon');
}

translate();
renderLegend();
renderFigures();
$('lang').addEventListener('click', () => setLang(lang === 'en' ? 'zh-CN' : 'en', () => {
  relabel(map, labels);
  renderFigures();
  if (plansServed) detect();
}));
keyInput($('key'), detect);
