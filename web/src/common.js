// Shared by the dispatcher console and the planner view: the page's
// configuration (injected by gridd), the API client, the strings in both
// languages, and the district's base layers (streets, communities, grids
// from gridd's own vector tiles and GeoJSON; an optional raster basemap).
import * as maplibregl from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import './app.css';

// config is what gridd writes into the page: the basemap (optional) and the
// worker's URL. A GCJ-02 basemap makes the page ask for gcj02 tiles and
// GeoJSON, and send clicked points to /locate as gcj02.
// griddMarks records when the page reached each step (performance.now()),
// for the browser tests' first-paint figure and for anyone profiling.
window.griddMarks = { script: performance.now() };
export const mark = (name) => { window.griddMarks[name] ??= performance.now(); };

export const config = JSON.parse(document.getElementById('gridd-config').textContent || '{}');
maplibregl.setWorkerUrl(new URL(config.worker, location.href).href);

export const gcj = !!(config.basemap && config.basemap.crs === 'gcj02');

const strings = {
  'zh-CN': {
    title: '浦口区联勤指挥 · 调度台', plannerTitle: '浦口区网格规划', lang: 'English', key: 'API 密钥',
    locate: '点击地图查询位置', grid: '网格', community: '社区', street: '街道', subcentre: '分中心', workstation: '工作站',
    workers: '网格员', patrols: '最近可用力量', households: '户数', target: '目标户数', deviation: '偏差',
    outside: '该点不在本区范围内', queue: '案件队列', kpis: '指标', closure: '结案率', ontime: '按期结案率', onsite: '现场处置率',
    cases: '案件数', overdue: '超期', deadline: '期限', stage: '阶段', create: '在此创建事件', category: '类别', channel: '渠道',
    description: '描述', submit: '提交', assign: '派遣', suggested: '建议派遣', units: '力量', noKey: '需要调度员密钥',
    unavailable: '此功能尚未在服务端提供', gridLabel: '网格', selectGrid: '点击网格查看指标', plans: '方案', draft: '新建草稿',
    merge: '合并', split: '拆分', redraw: '重绘', move: '移动单元', moveHint: '点击单元选取，再点击相邻网格作为目标', unitsPicked: '已选单元', moveTo: '移至', moveGo: '移动', publish: '发布', validation: '校验', errors: '错误', warnings: '警告',
    kind: '类型', urban: '城市', rural: '农村', planNone: '方案编辑接口尚未提供', distance: '距离', all: '全区', visibleArea: '当前视图', m: '米',
    stages: { reported: '信息收集', filed: '案卷建立', dispatched: '任务派遣', handling: '任务处理', resolved: '处理反馈', closed: '核查结案', evaluated: '综合评价', void: '作废' },
    actions: { file: '立案', dispatch: '派遣', accept: '接单', arrive: '到场', resolve: '处置完成', verify: '核查通过', rework: '返工', evaluate: '评价', escalate: '上报', void: '作废' },
    legend: '户数偏差', busy: '忙碌', available: '可用', off_duty: '下班', workload: '工作量',
    escalated: '已上报', unit: '处置力量', min: '分钟', otherStreet: '外街道', patrol: '巡逻', worker: '网格员', patrolKind: '巡逻力量', workerKind: '网格员',
    editing: '编辑草稿', selected: '已选', selectHint: '点击网格选择，Shift+点击再选一个（合并）', lock: '锁定', unlock: '解锁', edit: '编辑', gridsN: '个网格',
    status_draft: '草稿', status_published: '已发布', status_archived: '已归档', added: '新增', changed: '变更', removed: '删除', diff: '与已发布方案的差异',
    householdsMoved: '变动户数', workersMoved: '变动网格员', casesMoved: '变动在办案件', working: '处理中…', publishedMsg: '已发布方案',
    drawHint: '在地图上绘制多边形，双击结束', drawLost: '未得到多边形，请重绘', op_merge: '合并', op_split: '拆分', op_redraw: '重绘', op_lock: '锁定', op_unlock: '解锁', locked: '锁定',
    rule_balance: '户数偏差', rule_polsby_popper: '紧凑度', rule_gap: '空隙', rule_overlap: '重叠', rule_outside: '越界', rule_contiguous: '不连续', rule_empty: '空网格',
    rule_households: '户数不符', rule_without_worker: '缺网格员', rule_no_grids: '无网格', rule_code: '编码', rule_valid: '几何无效', rule_community: '社区',
    stream_live: '实时', stream_reconnecting: '重连中…', stream_off: '无实时数据', normal: '一般', priority: '优先级', unitsTitle: '力量',
  },
  en: {
    title: 'Pukou joint command · dispatcher console', plannerTitle: 'Pukou grid planner', lang: '中文', key: 'API key',
    locate: 'Click the map to locate a point', grid: 'Grid', community: 'Community', street: 'Street', subcentre: 'Sub-centre', workstation: 'Work station',
    workers: 'Grid workers', patrols: 'Nearest available units', households: 'Households', target: 'Target', deviation: 'Deviation',
    outside: 'The point is outside the district', queue: 'Case queue', kpis: 'KPIs', closure: 'Closure rate', ontime: 'On-time closure', onsite: 'On-site share',
    cases: 'Cases', overdue: 'overdue', deadline: 'Deadline', stage: 'Stage', create: 'Create an incident here', category: 'Category', channel: 'Channel',
    description: 'Description', submit: 'Submit', assign: 'Assign', suggested: 'Suggested unit', units: 'Units', noKey: 'needs a dispatcher key',
    unavailable: 'not served by this gridd yet', gridLabel: 'Grid', selectGrid: 'Click a grid to see its figures', plans: 'Plans', draft: 'New draft',
    merge: 'Merge', split: 'Split', redraw: 'Redraw', move: 'Move units', moveHint: 'Click units to pick them, then click the adjacent grid they go to', unitsPicked: 'Units picked', moveTo: 'To', moveGo: 'Move', publish: 'Publish', validation: 'Validation', errors: 'Errors', warnings: 'Warnings',
    kind: 'Kind', urban: 'urban', rural: 'rural', planNone: 'plan editing is not served by this gridd yet', distance: 'distance', all: 'District', visibleArea: 'Visible area', m: 'm',
    stages: { reported: 'reported', filed: 'filed', dispatched: 'dispatched', handling: 'handling', resolved: 'resolved', closed: 'closed', evaluated: 'evaluated', void: 'void' },
    actions: { file: 'File', dispatch: 'Dispatch', accept: 'Accept', arrive: 'Arrive', resolve: 'Resolve', verify: 'Verify', rework: 'Rework', evaluate: 'Evaluate', escalate: 'Escalate', void: 'Void' },
    legend: 'Household deviation', busy: 'busy', available: 'available', off_duty: 'off duty', workload: 'Workload',
    escalated: 'escalated', unit: 'Unit', min: 'min', otherStreet: 'other street', patrol: 'patrol', worker: 'grid worker', patrolKind: 'Patrols', workerKind: 'Grid workers',
    editing: 'Editing draft', selected: 'Selected', selectHint: 'Click a grid to select it, shift-click a second one (merge)', lock: 'Lock', unlock: 'Unlock', edit: 'Edit', gridsN: 'grids',
    status_draft: 'draft', status_published: 'published', status_archived: 'archived', added: 'Added', changed: 'Changed', removed: 'Removed', diff: 'Diff against the published plan',
    householdsMoved: 'Households moved', workersMoved: 'Workers moved', casesMoved: 'Open cases moved', working: 'working…', publishedMsg: 'Published plan',
    drawHint: 'Draw a polygon on the map, double-click to finish', drawLost: 'No polygon was drawn; draw it again', op_merge: 'Merged', op_split: 'Split', op_redraw: 'Redrawn', op_lock: 'Locked', op_unlock: 'Unlocked', locked: 'Locked',
    rule_balance: 'balance', rule_polsby_popper: 'compactness', rule_gap: 'gap', rule_overlap: 'overlap', rule_outside: 'outside', rule_contiguous: 'not contiguous', rule_empty: 'empty',
    rule_households: 'households', rule_without_worker: 'without worker', rule_no_grids: 'no grids', rule_code: 'code', rule_valid: 'invalid geometry', rule_community: 'community',
    stream_live: 'live', stream_reconnecting: 'reconnecting…', stream_off: 'no live feed', normal: 'normal', priority: 'Priority', unitsTitle: 'Units',
  },
};

export let lang = localStorage.getItem('gridd.lang') || 'zh-CN';
if (!strings[lang]) lang = 'zh-CN';
export const t = (k) => strings[lang][k] ?? k;
export const stageName = (s) => strings[lang].stages[s] ?? s;
export const actionName = (a) => strings[lang].actions[a] ?? a;

// setLang switches the language, saves it and calls onChange to redraw.
export function setLang(l, onChange) {
  lang = l;
  localStorage.setItem('gridd.lang', l);
  document.documentElement.lang = l;
  translate();
  onChange();
}

// translate fills every element with data-t from the strings.
export function translate() {
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll('[data-t]')) el.textContent = t(el.dataset.t);
  for (const el of document.querySelectorAll('[data-tp]')) el.placeholder = t(el.dataset.tp);
}

// api calls gridd with the key saved in the page (Authorization: Bearer),
// answering {status, body} and never throwing on an HTTP error status.
export async function api(path, opts = {}) {
  const headers = { Accept: 'application/json', ...(opts.headers || {}) };
  const key = localStorage.getItem('gridd.key');
  if (key) headers.Authorization = 'Bearer ' + key;
  let body = opts.body;
  if (body !== undefined && typeof body !== 'string') {
    body = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
  }
  const res = await fetch(path, { method: opts.method || 'GET', headers, body, signal: opts.signal });
  const text = res.status === 204 ? '' : await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  return { status: res.status, ok: res.ok, body: json };
}

// feature answers whether gridd serves a route, from its OpenAPI document
// (so a missing route costs no 404), and when it does and a key is set,
// the route's first answer: {served, ok, status, body}. Without a key the
// role-protected routes are not asked (served, status 401).
let openapi = null;
export async function served(template) {
  openapi ||= api('/api').then((r) => (r.ok && r.body && r.body.paths) || {});
  return !!(await openapi)[template];
}

// hasCollection answers whether gridd lists an OGC API collection.
let collections = null;
export async function hasCollection(id) {
  collections ||= api('/collections').then((r) => new Set(((r.ok && r.body && r.body.collections) || []).map((c) => c.id)));
  return (await collections).has(id);
}

export async function feature(path, template = path.split('?')[0]) {
  if (!(await served(template))) return { served: false, status: 404 };
  if (!localStorage.getItem('gridd.key')) return { served: true, ok: false, status: 401, body: null };
  try {
    const r = await api(path);
    return { served: true, status: r.status, ok: r.ok, body: r.body };
  } catch {
    return { served: true, ok: false, status: 0 };
  }
}

// keyInput wires the header's key field to localStorage.
export function keyInput(el, onChange) {
  el.value = localStorage.getItem('gridd.key') || '';
  el.addEventListener('change', () => {
    if (el.value) localStorage.setItem('gridd.key', el.value.trim());
    else localStorage.removeItem('gridd.key');
    onChange();
  });
}

// Pukou's extent, the initial view (the district fills the map).
export const pukouBounds = [[118.36, 31.84], [118.78, 32.25]];

const tileQuery = gcj ? '?crs=gcj02' : '';
const GCJ02URI = 'https://gridd.example/def/crs/GCJ02';
export const itemsCRS = gcj ? '&crs=' + encodeURIComponent(GCJ02URI) : '';

// baseStyle is the style: a plain background or the configured raster
// basemap, and gridd's layers. No glyphs URL: MapLibre draws every label
// locally with the browser's fonts (TinySDF), so nothing is fetched.
export function baseStyle() {
  const sources = {
    streets: vt('streets'), communities: vt('communities'), grids: vt('grids'),
    'community-labels': { type: 'geojson', data: empty() },
    'grid-labels': { type: 'geojson', data: empty() },
  };
  const layers = [{ id: 'background', type: 'background', paint: { 'background-color': '#eef0eb' } }];
  if (config.basemap && config.basemap.url) {
    sources.basemap = { type: 'raster', tiles: [config.basemap.url], tileSize: 256, attribution: config.basemap.attribution || '' };
    layers.push({ id: 'basemap', type: 'raster', source: 'basemap' });
  }
  return { version: 8, sources, layers };
}

function vt(layer) {
  return { type: 'vector', tiles: [location.origin + '/tiles/' + layer + '/{z}/{x}/{y}.mvt' + tileQuery], minzoom: 0, maxzoom: 16, bounds: [118.2, 31.7, 118.95, 32.4] };
}

export const empty = () => ({ type: 'FeatureCollection', features: [] });

// gridLabel is a grid's short label: its sequence number within its
// community (the last three digits of the 15-digit code).
export function gridLabelExpr() {
  return ['concat', lang === 'en' ? 'Grid ' : '', ['slice', ['get', 'code'], 12], lang === 'en' ? '' : '号网格'];
}

// addDistrictLayers adds the outlines and labels above the fills the page
// adds itself (beforeFills: the id of the first of the page's layers to
// keep above the fills, or undefined).
export function addDistrictLayers(map) {
  map.addLayer({ id: 'grid-line', type: 'line', source: 'grids', 'source-layer': 'grids', minzoom: 11,
    paint: { 'line-color': '#4b6b8a', 'line-width': ['interpolate', ['linear'], ['zoom'], 11, 0.3, 16, 1.2], 'line-opacity': 0.8 } });
  map.addLayer({ id: 'community-line', type: 'line', source: 'communities', 'source-layer': 'communities', minzoom: 9,
    paint: { 'line-color': '#7a4f9a', 'line-width': ['interpolate', ['linear'], ['zoom'], 9, 0.5, 15, 2] } });
  map.addLayer({ id: 'street-line', type: 'line', source: 'streets', 'source-layer': 'streets',
    paint: { 'line-color': '#b03a2e', 'line-width': ['interpolate', ['linear'], ['zoom'], 8, 1, 15, 3.5] } });
  map.addLayer({ id: 'grid-picked-line', type: 'line', source: 'grids', 'source-layer': 'grids', minzoom: 11,
    paint: { 'line-color': '#111', 'line-width': ['case', ['boolean', ['feature-state', 'picked'], false], 2.5, 0] } });
  map.addLayer({ id: 'grid-label', type: 'symbol', source: 'grid-labels', minzoom: 14,
    layout: { 'text-field': gridLabelExpr(), 'text-font': ['sans-serif'], 'text-size': 11 },
    paint: { 'text-color': '#234', 'text-halo-color': '#fff', 'text-halo-width': 1.2 } });
  map.addLayer({ id: 'community-label', type: 'symbol', source: 'community-labels', minzoom: 12, maxzoom: 15.5,
    layout: { 'text-field': ['get', 'label'], 'text-font': ['sans-serif'], 'text-size': 12 },
    paint: { 'text-color': '#5b2f7a', 'text-halo-color': '#fff', 'text-halo-width': 1.5 } });
}

// followGridLabels keeps one label point per grid in view from zoom 14
// (grids read as GeoJSON for the visible bbox): labels taken from the
// vector tiles would repeat in every tile a grid crosses.
// own(), when it answers true, says the page sets the labels itself (the
// planner showing a draft).
export function followGridLabels(map, own = () => false) {
  let ctl = null;
  const update = async () => {
    if (map.getZoom() < 13.5 || own()) return;
    if (ctl) ctl.abort();
    ctl = new AbortController();
    const b = map.getBounds();
    const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(5)).join(',');
    try {
      const r = await api(`/collections/grids/items?limit=2000&bbox=${bbox}${gcj ? '&bbox-crs=' + encodeURIComponent(GCJ02URI) : ''}${itemsCRS}`, { signal: ctl.signal });
      if (!r.ok) return;
      map.getSource('grid-labels').setData({ type: 'FeatureCollection', features: r.body.features.map((f) => {
        const at = labelPoint(f.geometry);
        return at && { type: 'Feature', geometry: { type: 'Point', coordinates: at }, properties: { code: f.properties.code } };
      }).filter(Boolean) });
    } catch (e) {
      if (e.name !== 'AbortError') throw e;
    }
  };
  map.on('moveend', update);
}

// relabel recomputes the label expressions after a language switch.
export function relabel(map, labels) {
  map.setLayoutProperty('grid-label', 'text-field', gridLabelExpr());
  setLabelData(map, labels);
}

// loadLabels fetches the streets and communities (small collections) and
// answers one label point per division, inside its polygon.
export async function loadLabels() {
  const [s, c] = await Promise.all([
    api('/collections/streets/items?limit=1000' + itemsCRS),
    api('/collections/communities/items?limit=10000' + itemsCRS),
  ]);
  mark('labels');
  const pts = (r) => ((r.body && r.body.features) || []).map((f) => ({ props: f.properties, at: labelPoint(f.geometry) })).filter((p) => p.at);
  return { streets: pts(s), communities: pts(c) };
}

export function setLabelData(map, labels) {
  const fc = (list) => ({ type: 'FeatureCollection', features: list.map((p) => ({
    type: 'Feature', geometry: { type: 'Point', coordinates: p.at },
    properties: { code: p.props.code, label: lang === 'en' ? p.props.name + '\n' + p.props.code : p.props.name },
  })) });
  map.getSource('community-labels').setData(fc(labels.communities));
  setStreetLabels(map, labels.streets);
}

// Street names (15 of them, shown from the district view to z13) are HTML
// markers: the browser's text, no glyph drawing for the first paint. The
// many community and grid labels are MapLibre symbols.
let streetMarkers = [];
function setStreetLabels(map, streets) {
  for (const m of streetMarkers) m.remove();
  streetMarkers = streets.map((p) => {
    const el = document.createElement('div');
    el.className = 'street-label';
    el.textContent = lang === 'en' ? p.props.name + ' ' + p.props.code : p.props.name;
    return new maplibregl.Marker({ element: el }).setLngLat(p.at).addTo(map);
  });
  if (!map.griddStreetZoom) {
    map.griddStreetZoom = true;
    const show = () => map.getContainer().classList.toggle('hide-street-labels', map.getZoom() < 8 || map.getZoom() >= 13);
    map.on('zoom', show);
    show();
  }
}

// labelPoint picks a point inside the largest polygon: the midpoint of the
// widest span of the horizontal line through its bound's middle.
export function labelPoint(g) {
  if (!g) return null;
  const polys = g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : [];
  let best = null, bestArea = -1;
  for (const p of polys) {
    const a = Math.abs(ringArea(p[0]));
    if (a > bestArea) { best = p; bestArea = a; }
  }
  if (!best) return null;
  let minY = Infinity, maxY = -Infinity;
  for (const [, y] of best[0]) { minY = Math.min(minY, y); maxY = Math.max(maxY, y); }
  const y = (minY + maxY) / 2;
  const xs = [];
  for (const ring of best) {
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [x1, y1] = ring[i], [x2, y2] = ring[j];
      if ((y1 > y) !== (y2 > y)) xs.push(x1 + (y - y1) / (y2 - y1) * (x2 - x1));
    }
  }
  xs.sort((a, b) => a - b);
  let bx = null, bw = -1;
  for (let i = 0; i + 1 < xs.length; i += 2) if (xs[i + 1] - xs[i] > bw) { bw = xs[i + 1] - xs[i]; bx = (xs[i] + xs[i + 1]) / 2; }
  return bx === null ? null : [bx, y];
}

function ringArea(r) {
  let a = 0;
  for (let i = 0, j = r.length - 1; i < r.length; j = i++) a += (r[j][0] - r[i][0]) * (r[j][1] + r[i][1]);
  return a / 2;
}

// newMap makes the map over the district, with the navigation control.
// build(style) adds the page's sources and layers through addSource and
// addLayer, as on a map, but into the initial style: every tile is asked
// for as soon as the style is read, not after the map's load event.
export function newMap(container, build) {
  const style = baseStyle();
  build({ addSource: (id, src) => { style.sources[id] = src; }, addLayer: (l) => { style.layers.push(l); } });
  const map = new maplibregl.Map({ container, style, bounds: pukouBounds, fitBoundsOptions: { padding: 10 },
    attributionControl: { compact: true }, maxZoom: 19, hash: false,
    fadeDuration: 0 }); // labels drawn at once: no 300 ms fade before the map is idle
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl(), 'bottom-right');
  window.griddMap = map; // for the browser tests and the curious
  mark('map');
  map.once('load', () => mark('load'));
  map.on('dataloading', (e) => { if (e.dataType === 'source' && e.tile) mark('firstTileRequest'); });
  map.on('data', (e) => { if (e.dataType === 'source' && e.tile) mark('firstTile'); });
  return map;
}

export function esc(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

export function pct(x) {
  return x == null || Number.isNaN(x) ? '–' : (x * 100).toFixed(1) + ' %';
}

export { maplibregl };

// toMap converts a WGS84 [lon, lat] from the API to the map's system
// (GCJ-02 on a Chinese basemap); the same formula as gridd's geo package.
export function toMap(p) {
  return gcj ? wgs84ToGcj02(p) : p;
}

// fromMap converts a point read off the map to WGS84 for the API.
export function fromMap(p) {
  return gcj ? gcj02ToWgs84(p) : p;
}

// gcj02ToWgs84 inverts wgs84ToGcj02 by fixed-point iteration (well under
// a millimetre after a few steps).
export function gcj02ToWgs84([lon, lat]) {
  let w = [lon, lat];
  for (let i = 0; i < 8; i++) {
    const g = wgs84ToGcj02(w);
    w = [w[0] - (g[0] - lon), w[1] - (g[1] - lat)];
  }
  return w;
}

// mapCRS is the crs parameter for points read off the map.
export const mapCRS = gcj ? 'gcj02' : 'wgs84';

const A = 6378245.0, EE = 0.00669342162296594323;
function outOfChina([lon, lat]) { return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271; }
function tLat(x, y) {
  let r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  r += (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3;
  r += (20 * Math.sin(y * Math.PI) + 40 * Math.sin(y / 3 * Math.PI)) * 2 / 3;
  r += (160 * Math.sin(y / 12 * Math.PI) + 320 * Math.sin(y * Math.PI / 30)) * 2 / 3;
  return r;
}
function tLon(x, y) {
  let r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  r += (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3;
  r += (20 * Math.sin(x * Math.PI) + 40 * Math.sin(x / 3 * Math.PI)) * 2 / 3;
  r += (150 * Math.sin(x / 12 * Math.PI) + 300 * Math.sin(x / 30 * Math.PI)) * 2 / 3;
  return r;
}
export function wgs84ToGcj02([lon, lat]) {
  if (outOfChina([lon, lat])) return [lon, lat];
  let dLat = tLat(lon - 105, lat - 35), dLon = tLon(lon - 105, lat - 35);
  const radLat = lat / 180 * Math.PI;
  let magic = Math.sin(radLat);
  magic = 1 - EE * magic * magic;
  const sq = Math.sqrt(magic);
  dLat = (dLat * 180) / ((A * (1 - EE)) / (magic * sq) * Math.PI);
  dLon = (dLon * 180) / (A / sq * Math.cos(radLat) * Math.PI);
  return [lon + dLon, lat + dLat];
}
