import { existsSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { readJsonFile, writeJsonFile } from '../../node/data-dir.js';
import { UserError } from '../../node/errors.js';
import type { TestnetNode } from './testnet.js';

/** What `attach` needs to act on a testnet from another process. */
export interface TestnetState {
  name: string;
  cluster: string;
  operatorKey: string;
  nodes: TestnetNode[];
}

/** One directory per testnet: its state file and its genesis operator key, on the host. */
export const testnetDir = (name: string): string => join(process.env.SHOAL_TESTNETS_DIR ?? join(homedir(), '.shoal', 'testnets'), name);

const stateFile = (name: string): string => join(testnetDir(name), 'testnet.json');

export const hasState = (name: string): boolean => existsSync(stateFile(name));

export function saveState(state: TestnetState): void {
  writeJsonFile(stateFile(state.name), state);
}

export function loadState(name: string): TestnetState {
  if (!hasState(name)) throw new UserError(`no testnet named ${name} (no ${stateFile(name)}): start one with \`shoal testnet up --name ${name}\``);
  return readJsonFile(stateFile(name)) as TestnetState;
}

export function removeState(name: string): void {
  rmSync(testnetDir(name), { recursive: true, force: true });
}
