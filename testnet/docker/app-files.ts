import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** What the node image copies from the repository: a user's `npm ci && npm run build` leaves exactly these. */
export const APP_PATHS = ['package.json', 'bin', 'dist', 'node_modules'] as const;

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
 * so hashing that stands for hashing 150 MB), salted with the base image.
 */
export function appHash(root: string, base: string): string {
  const hash = createHash('sha256').update(base);
  const lock = existsSync(join(root, 'node_modules', '.package-lock.json')) ? join('node_modules', '.package-lock.json') : 'package-lock.json';
  const files = ['package.json', lock, ...filesUnder(join(root, 'bin')), ...filesUnder(join(root, 'dist'))].map((f) => (f.startsWith(root) ? f.slice(root.length + 1) : f)).sort();
  for (const file of files) hash.update(`\0${file}\0`).update(readFileSync(join(root, file)));
  return hash.digest('hex').slice(0, 12);
}
