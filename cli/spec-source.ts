import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { UserError } from '../node/errors.js';
import { parseEnvFile } from '../protocol/manifests/foreign/compose/env-file.js';
import type { ComposeContext } from '../protocol/manifests/foreign/compose/index.js';
import { formatWarning, loadSpec, type LoadedSpec } from './spec-file.js';

function readSource(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

const readOptional = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/**
 * What `docker compose` would interpolate from and read: files beside the compose file,
 * and the shell's environment over a `.env` file there (the shell wins, as in Compose).
 */
function composeContext(folder: string): ComposeContext {
  const dotEnvPath = resolve(folder, '.env');
  const dotEnv = parseEnvFile(readOptional(dotEnvPath) ?? '');
  for (const problem of dotEnv.problems) console.error(`${dotEnvPath}:${problem.line}: warning: ${problem.message}`);
  const env: Record<string, string> = {};
  for (const entry of dotEnv.entries) if (entry.value !== undefined) env[entry.name] = entry.value;
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return { env, readFile: (path) => readOptional(isAbsolute(path) ? path : resolve(folder, path)) };
}

/** `-f FILE|-` read and loaded: Shoal, Kubernetes or Compose; warnings printed to stderr. */
export function loadSpecSource(file: string, strict: boolean): LoadedSpec {
  const text = file === '-' ? readFileSync(0, 'utf8') : readSource(file);
  const loaded = loadSpec(text, file === '-' ? '<stdin>' : file, { strict, compose: composeContext(file === '-' ? process.cwd() : dirname(resolve(file))) });
  for (const warning of loaded.warnings) console.error(formatWarning(warning));
  if (loaded.manifests.length === 0) throw new UserError(`${file} holds no objects`);
  return loaded;
}
