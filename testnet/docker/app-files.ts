import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What the node image copies from the repository (a user's `npm ci && npm run build`
 * leaves them): the build, and of node_modules only what the bundle loads at run time.
 * All of node_modules (300 MB with the compiler, the formatter and the test tools) took a
 * busy CI machine 39 s to send and unpack for each fresh image; these are 30 MB.
 */
export function appPaths(root: string): string[] {
  return ['package.json', 'bin', 'dist', ...runtimeModules(root)];
}

/**
 * The packages the bundle leaves to node_modules (package.json's `shoal.bundleExternal`:
 * native addons, and what finds its own files at run time) and every package they depend
 * on, found as Node finds them: in the depending package's own node_modules, then in its
 * parents'. A package inside another's directory travels with it and is not listed.
 */
export function runtimeModules(root: string): string[] {
  const { shoal } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { shoal: { bundleExternal: string[] } };
  const found = new Set<string>();
  const visit = (dir: string): void => {
    if (found.has(dir)) return;
    found.add(dir);
    const manifest = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };
    for (const name of Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies })) {
      const at = installedFrom(root, dir, name);
      if (at !== undefined) visit(at);
      else if (manifest.optionalDependencies?.[name] === undefined) throw new Error(`${dir} depends on ${name}, which is not installed: run npm ci`);
    }
  };
  for (const name of shoal.bundleExternal) {
    const at = installedFrom(root, '.', name);
    if (at === undefined) throw new Error(`${name} (bundleExternal) is not installed: run npm ci`);
    visit(at);
  }
  const dirs = [...found].sort();
  return dirs.filter((dir) => !dirs.some((other) => other !== dir && dir.startsWith(`${other}/`)));
}

/** Where Node resolves package `name` from the package at `dir` (relative to root): its node_modules, then each parent's. */
function installedFrom(root: string, dir: string, name: string): string | undefined {
  const parts = dir === '.' ? [] : dir.split('/');
  for (let i = parts.length; i >= 0; i--) {
    if (i > 0 && parts[i - 1] === 'node_modules') continue;
    const candidate = join(...parts.slice(0, i), 'node_modules', name);
    if (existsSync(join(root, candidate, 'package.json'))) return candidate;
  }
  return undefined;
}

/** The directories `npm run build` compiles (tsconfig.build.json). */
const SOURCE_DIRS = ['node', 'protocol', 'crdt', 'cli', 'testnet'];
const BUILT_ENTRY = join('dist', 'bundle', 'shoal.mjs');

const filesUnder = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));

const newestMtime = (files: readonly string[]): number => Math.max(0, ...files.map((f) => statSync(f).mtimeMs));

/**
 * Runs `npm run build` when dist/ is missing or older than a source file, so the image
 * never ships yesterday's code. tsc emits JavaScript even with type errors; those are
 * reported and the emitted code is used, since a testnet is how one tries a change.
 */
export function ensureAppBuilt(root: string, log: (line: string) => void): void {
  const entry = join(root, BUILT_ENTRY);
  const sources = SOURCE_DIRS.flatMap((d) => filesUnder(join(root, d))).filter((f) => f.endsWith('.ts'));
  if (existsSync(entry) && statSync(entry).mtimeMs >= newestMtime(sources)) return;
  log('dist/ is missing or stale: npm run build');
  try {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'pipe' });
  } catch (e) {
    if (!existsSync(entry)) throw new Error(`npm run build failed:\n${String((e as { stdout?: Buffer }).stdout ?? e)}`);
    log('npm run build reported type errors; the image uses what tsc emitted');
  }
}

/**
 * A short hash of what the image would hold: the compiled code, the entry script, the
 * manifest and the installed dependency tree (npm records it in node_modules/.package-lock.json,
 * so hashing that stands for hashing 150 MB) and `paths`, the ones copied, salted with the base image.
 */
export function appHash(root: string, base: string, paths: readonly string[]): string {
  // What is copied (appPaths), too: the same tree may be cut differently by another version of it.
  const hash = createHash('sha256').update(base).update(paths.join('\0'));
  const lock = existsSync(join(root, 'node_modules', '.package-lock.json')) ? join('node_modules', '.package-lock.json') : 'package-lock.json';
  const files = ['package.json', lock, ...filesUnder(join(root, 'bin')), ...filesUnder(join(root, 'dist'))].map((f) => (f.startsWith(root) ? f.slice(root.length + 1) : f)).sort();
  for (const file of files) hash.update(`\0${file}\0`).update(readFileSync(join(root, file)));
  return hash.digest('hex').slice(0, 12);
}
