// Bundles the dispatcher console and the planner view into dist/, which
// gridd embeds (web/embed.go). The output is deterministic: file names
// carry content hashes, nothing records a time or a path of this machine,
// and scripts/test.sh fails when a rebuild differs from the committed dist/.
//
//   npm ci && node build.mjs
import * as esbuild from 'esbuild';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, rmSync, mkdirSync, copyFileSync, existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');
const hash = (b) => createHash('sha256').update(b).digest('hex').slice(0, 10).toUpperCase();

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

// The MapLibre worker ships as its own module; the page names it.
const workerSrc = join(here, 'node_modules/maplibre-gl/dist/maplibre-gl-worker.mjs');
const workerName = `maplibre-gl-worker-${hash(readFileSync(workerSrc))}.mjs`;
copyFileSync(workerSrc, join(dist, workerName));

const result = await esbuild.build({
  absWorkingDir: here,
  entryPoints: { console: 'src/console.js', planner: 'src/planner.js', vendor: 'src/vendor.js' },
  bundle: true,
  format: 'esm',
  splitting: true,
  minify: true,
  target: ['es2022'],
  outdir: dist,
  entryNames: '[name]-[hash]',
  chunkNames: 'chunk-[hash]',
  assetNames: '[name]-[hash]',
  legalComments: 'none', // the licences go to LICENSES.txt, whole
  metafile: true,
  logLevel: 'warning',
  charset: 'utf8',
});

// Each page's HTML names its hashed script and stylesheet; gridd fills
// {{config}} when it serves the page.
const outputs = result.metafile.outputs;
for (const page of ['console', 'planner']) {
  const [js, meta] = Object.entries(outputs).find(([, o]) => o.entryPoint === `src/${page}.js`);
  const css = meta.cssBundle;
  const url = (p) => '/static/' + relative(dist, join(here, p));
  let html = readFileSync(join(here, 'src', `${page}.html`), 'utf8');
  // Preload the shared chunk and MapLibre's worker so they download while
  // the entry script parses (first paint).
  const preload = [...new Set(meta.imports.filter((i) => i.kind === 'import-statement').map((i) => url(i.path))), '/static/' + workerName]
    .map((u) => `<link rel="modulepreload" href="${u}">`).join('\n');
  html = html.replace('{{js}}', url(js)).replace('{{css}}', url(css)).replace('{{preload}}', preload);
  writeFileSync(join(dist, `${page}.html`), html);
}
writeFileSync(join(dist, 'worker.txt'), '/static/' + workerName + '\n');

// LICENSES.txt: the licence of every npm package whose code is in dist/.
const pkgs = new Set(['maplibre-gl']);
for (const input of Object.keys(result.metafile.inputs)) {
  const m = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
  if (m) pkgs.add(m[1]);
}
let text = 'Third-party packages bundled into these assets, with their licences.\n';
for (const name of [...pkgs].sort()) {
  const dir = join(here, 'node_modules', name);
  const pj = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const file = readdirSync(dir).filter((f) => /^(licen[cs]e|copying)/i.test(f)).sort()[0];
  const body = file ? readFileSync(join(dir, file), 'utf8').trim() : `(no licence file in the package; package.json says ${pj.license})`;
  text += `\n${'='.repeat(72)}\n${name} ${pj.version} (${pj.license})\n${'='.repeat(72)}\n${body}\n`;
}
writeFileSync(join(dist, 'LICENSES.txt'), text);
if (!existsSync(join(dist, 'console.html'))) throw new Error('no console.html');
console.log('built', readdirSync(dist).sort().join(' '));
