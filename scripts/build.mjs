// `npm run build`: compiles with tsc into dist/, then bundles the compiled CLI
// (dist/cli/main.js) into dist/bundle/, which bin/shoal.js runs. tsc emits JavaScript
// even when it reports type errors; the bundle is made from it all the same (a testnet
// is how one tries a change), and the build still fails.
//
// Why a bundle: a node loads its code in about 40% of the time. Resolving and loading the
// daemon's 1,223 modules one by one took 470-600 ms of an idle restart, the bundle
// 190-230 ms (docs/benchmarks.md, "Restart"). It is split at the CLI's dynamic imports,
// so a short command loads only its own code, as before. Left outside, loaded from
// node_modules: native addons, and what finds its own files at run time (pino's workers).
//
// Then the dashboard (ui/): its Preact app bundled for the browser into dist/ui/app.js,
// beside its index.html and style.css, which every node serves at /ui/.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { build } from 'esbuild';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const compiled = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });

// In package.json ("shoal": {"bundleExternal"}): the node image copies these and their dependencies, no other package.
const EXTERNAL = JSON.parse(readFileSync('package.json', 'utf8')).shoal.bundleExternal;

// Chunk names carry a hash of their content: last build's would stay beside this one's.
rmSync('dist/bundle', { recursive: true, force: true });
await build({
  entryPoints: { shoal: 'dist/cli/main.js' },
  outdir: 'dist/bundle',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: EXTERNAL,
  sourcemap: true,
  // Whitespace and syntax only, names kept (errors are told apart by name): V8 keeps every
  // loaded module's source for good, and this takes the start's 5.8 MB to 3.9 MB, 6-8 MB
  // of an idle node's RSS (docs/benchmarks.md, "Footprint"). Stack traces map back with
  // `node --enable-source-maps`.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
  // Bundled CommonJS still calls require(); an ES module has none of its own.
  banner: { js: "import { createRequire as __shoalCreateRequire } from 'node:module'; const require = __shoalCreateRequire(import.meta.url);" },
});

// The browser's code: everything it runs is in this one file (no CDN), and tsc does not
// check it here (`npm run typecheck` does, with ui/tsconfig.json).
rmSync('dist/ui', { recursive: true, force: true });
mkdirSync('dist/ui', { recursive: true });
await build({
  entryPoints: ['ui/app.tsx'],
  outfile: 'dist/ui/app.js',
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: 'es2020',
  minify: true,
  sourcemap: true,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  logLevel: 'warning',
});
for (const file of ['index.html', 'style.css']) copyFileSync(`ui/${file}`, `dist/ui/${file}`);

process.exitCode = compiled.status ?? 1;
