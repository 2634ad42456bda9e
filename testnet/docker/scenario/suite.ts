import type Dockerode from 'dockerode';
import { attach, downByName, up } from '../docker-testnet.js';
import type { Testnet } from '../testnet.js';
import { writeUntilAcknowledged } from './baseline.js';
import type { Writer } from './clients.js';
import type { Fault } from './faults.js';
import type { ClientOp } from './history.js';
import { formatReport, writeResult } from './report.js';
import { runScenario, type ScenarioResult } from './runner.js';
import { keyOf, workloadSpec } from './workloads.js';

export interface SuiteOptions {
  nodes: number;
  faults: readonly Fault[];
  /** Each fault this many times, in rounds over the whole set. */
  repeats: number;
  seed: number;
  clients: number;
  poolSize: number;
  boundMs: number;
  /** Where each scenario's JSON result goes. */
  outDir: string;
  /** The testnet's name. */
  name: string;
  /** Reuse the running testnet of that name and leave it up, instead of starting one and removing it. */
  reuse: boolean;
  log: (line: string) => void;
}

export interface SuiteOutcome {
  results: ScenarioResult[];
  /** Why the suite stopped early: a scenario that could not run (a fault not applied, a testnet that did not settle). */
  failure: string | null;
}

/**
 * The fault set on one testnet: up once (a 5-node `up` is a good part of the time budget),
 * long-running workloads that every scenario checks, then each fault in turn. A scenario
 * that cannot run ends the suite, since the testnet is then in an unknown state; the
 * results so far are kept. The testnet is removed at the end whatever happened, unless it
 * was reused.
 */
export async function runSuite(docker: Dockerode, options: SuiteOptions): Promise<SuiteOutcome> {
  const testnet = options.reuse ? await attach(options.name) : await freshTestnet(options);
  const results: ScenarioResult[] = [];
  try {
    const writer: Writer = { cluster: testnet.cluster, key: testnet.signer };
    const baseline = await applyLongRunning(testnet, writer);
    for (let round = 0; round < options.repeats; round++) {
      for (const [i, fault] of options.faults.entries()) {
        const index = round * options.faults.length + i;
        const result = await runScenario({
          testnet,
          docker,
          writer,
          fault,
          prefix: `s${index}`,
          seed: options.seed + index,
          clients: options.clients,
          poolSize: options.poolSize,
          baseline,
          boundMs: options.boundMs,
        });
        const path = writeResult(options.outDir, index, result);
        options.log(`${formatReport(result)}\n  result: ${path}`);
        results.push(result);
      }
    }
    return { results, failure: null };
  } catch (e) {
    return { results, failure: (e as Error).stack ?? String(e) };
  } finally {
    if (!options.reuse) await testnet.down();
  }
}

/** A testnet of this name left by a run that died would be in the way. */
async function freshTestnet(options: SuiteOptions): Promise<Testnet> {
  await downByName(options.name);
  return up({ nodes: options.nodes, name: options.name, preset: 'local', log: options.log });
}

/**
 * A workload on every node that no client touches, so each fault hits running replicas;
 * and a singleton under the majority policy, whose duplicate window the reports show apart.
 */
async function applyLongRunning(testnet: Testnet, writer: Writer): Promise<ClientOp[]> {
  const steady = await writeUntilAcknowledged(testnet.nodes, writer, 'apply', keyOf('steady'), workloadSpec('steady', testnet.nodes.length));
  const singleton = await writeUntilAcknowledged(testnet.nodes, writer, 'apply', keyOf('singleton'), workloadSpec('singleton', 1, 'majority'));
  return [...steady, ...singleton];
}
