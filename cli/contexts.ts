import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { z } from 'zod';
import { FINGERPRINT } from '../node/api/tls.js';
import { UserError } from '../node/errors.js';

/**
 * Contexts, as kubeconfig has them: a name for a cluster as one operator reaches it, its
 * nodes' API addresses with their certificate fingerprints, and the key to sign with.
 * `~/.shoal/config` (or SHOAL_CONFIG), YAML.
 */
const contextNode = z.strictObject({
  api: z.string().regex(/^.+:\d{1,5}$/, 'HOST:PORT'),
  fingerprint: z.string().regex(FINGERPRINT, '64 hex digits').optional(),
});
const context = z.strictObject({
  key: z.string().min(1).optional(),
  nodes: z.array(contextNode).max(64),
});
const config = z.strictObject({
  current: z.string().optional(),
  contexts: z.record(z.string().regex(/^[A-Za-z0-9][-A-Za-z0-9_.]{0,62}$/, 'a context name'), context).default({}),
});

export type ContextNode = z.infer<typeof contextNode>;
export type Context = z.infer<typeof context>;
export type ShoalConfig = z.infer<typeof config>;

export const configPath = (): string => process.env.SHOAL_CONFIG ?? join(homedir(), '.shoal', 'config');

export function loadConfig(path = configPath()): ShoalConfig {
  if (!existsSync(path)) return { contexts: {} };
  let raw: unknown;
  try {
    raw = parse(readFileSync(path, 'utf8')) ?? {};
  } catch (e) {
    throw new UserError(`${path} is not YAML: ${(e as Error).message}`);
  }
  const parsed = config.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UserError(`${path}: ${issue?.path.join('.') || 'the file'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/** Written whole to a new file and renamed over the old: a crash never leaves half a config. */
export function saveConfig(value: ShoalConfig, path = configPath()): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(`${path}.tmp`, stringify(config.parse(value)), { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

/** The context a command uses: --context, else SHOAL_CONTEXT, else the current one; undefined if none is set. */
export function selectedContext(name: string | undefined, value: ShoalConfig = loadConfig()): { name: string; context: Context } | undefined {
  const chosen = name ?? process.env.SHOAL_CONTEXT ?? value.current;
  if (chosen === undefined) return undefined;
  const found = value.contexts[chosen];
  if (found === undefined) throw new UserError(`no context '${chosen}' in ${configPath()}: \`shoal context list\` shows them`);
  return { name: chosen, context: found };
}
