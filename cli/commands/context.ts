import { resolve } from 'node:path';
import { FINGERPRINT, isLoopback, normalFingerprint } from '../../node/api/tls.js';
import { UserError } from '../../node/errors.js';
import { decodeJoinToken } from '../../node/join-token.js';
import { configPath, loadConfig, saveConfig, type ContextNode } from '../contexts.js';
import { parseHostPort } from '../options.js';
import { table } from '../table.js';

export interface ContextAddFlags {
  name: string;
  api?: string;
  fingerprint?: string;
  token?: string;
  key?: string;
}

/** The nodes `context add` names: one by --api (and --fingerprint off loopback), or those a join token carries. */
function nodesOf(flags: ContextAddFlags): ContextNode[] {
  if (flags.token !== undefined) {
    if (flags.api !== undefined) throw new UserError('give --api or --token, not both');
    const { apis } = decodeJoinToken(flags.token);
    if (apis.length === 0) throw new UserError('the token carries no API: its node serves its API on loopback only; start it with --api ADDRESS:PORT and make the token again');
    return apis.map((a) => ({ api: a.api, fingerprint: a.fingerprint }));
  }
  if (flags.api === undefined) return [];
  const { host } = parseHostPort(flags.api, '--api');
  if (flags.fingerprint === undefined) {
    if (isLoopback(host)) return [{ api: flags.api }];
    throw new UserError(`${flags.api} is reached over TLS: give --fingerprint (the node logs it as apiFingerprint when it starts), or --token`);
  }
  const fingerprint = normalFingerprint(flags.fingerprint);
  if (!FINGERPRINT.test(fingerprint)) throw new UserError(`invalid --fingerprint '${flags.fingerprint}': expected 64 hex digits (colons allowed)`);
  return [{ api: flags.api, fingerprint }];
}

/** `shoal context add NAME`: creates the context or adds nodes to it; the first context becomes the current one. */
export function addContext(flags: ContextAddFlags): void {
  const config = loadConfig();
  const existing = config.contexts[flags.name] ?? { nodes: [] };
  const added = nodesOf(flags);
  if (added.length === 0 && flags.key === undefined && config.contexts[flags.name] === undefined)
    throw new UserError('a new context needs a node: --api HOST:PORT [--fingerprint F], or --token TOKEN');
  const nodes = [...existing.nodes.filter((n) => !added.some((a) => a.api === n.api)), ...added];
  const key = flags.key === undefined ? existing.key : resolve(flags.key);
  config.contexts[flags.name] = { nodes, ...(key === undefined ? {} : { key }) };
  config.current ??= flags.name;
  saveConfig(config);
  console.log(`context ${flags.name}: ${nodes.map((n) => n.api).join(', ')}${config.current === flags.name ? ' (current)' : ''}`);
}

export function useContext(name: string): void {
  const config = loadConfig();
  if (config.contexts[name] === undefined) throw new UserError(`no context '${name}' in ${configPath()}`);
  config.current = name;
  saveConfig(config);
  console.log(`now using context ${name}`);
}

export function removeContext(name: string): void {
  const config = loadConfig();
  if (config.contexts[name] === undefined) throw new UserError(`no context '${name}' in ${configPath()}`);
  delete config.contexts[name];
  if (config.current === name) delete config.current;
  saveConfig(config);
}

export function listContexts(): void {
  const config = loadConfig();
  const rows = Object.entries(config.contexts).map(([name, c]) => [config.current === name ? '*' : '', name, c.nodes.map((n) => n.api).join(','), c.key ?? '(default)']);
  console.log(table(['CURRENT', 'NAME', 'NODES', 'KEY'], rows));
}
