import type Dockerode from 'dockerode';
import { UserError } from '../../node/errors.js';
import { lossRules, partitionRules, setFaultRules, type FaultChain } from './network-faults.js';
import { loadOperatorKey, type OperatorKey } from '../../node/operator-key.js';
import { postJson, PATIENT_CALL_TIMEOUT_MS, waitForApi } from './node-api.js';
import { failureText } from './scenario/http.js';
import type { TestnetState } from './state-file.js';
import { demuxFrames } from '../../node/agent/docker-frames.js';
import { teardown } from './teardown.js';
import type { Testnet, TestnetNode } from './testnet.js';

/**
 * A restarted node's API answers within seconds on an idle machine; on one shared with
 * other tests, two nodes restarting at once once took over 60 s. The heal waits for it,
 * it does not judge its speed (the scenario's figures time the recovery).
 */
const RESTART_TIMEOUT_MS = 180_000;
/** Lines of a node's log shown with a restart that failed or was slow. */
const LOG_LINES = 60;
/** A restart slower than this is reported (not failed): idle, one answers in 2-7 s. */
const SLOW_RESTART_MS = 20_000;

/** Engine answers that mean "already so" (304) pass; "not possible now" (409) is the user's to fix. */
const PAUSE_ATTEMPTS = 5;

async function engineCall(node: string, call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (e) {
    const error = e as Error & { statusCode?: number; json?: { message?: string } };
    if (error.statusCode === 304) return;
    if (error.statusCode === 409) throw new UserError(`${node}: ${error.json?.message ?? error.message}`);
    throw e;
  }
}

/** A testnet whose nodes run, with every fault applied from the host. */
export class RunningTestnet implements Testnet {
  readonly signer: OperatorKey;

  constructor(
    private readonly docker: Dockerode,
    private readonly state: TestnetState,
  ) {
    this.signer = loadOperatorKey(state.operatorKey);
  }

  get name(): string {
    return this.state.name;
  }
  get nodes(): readonly TestnetNode[] {
    return this.state.nodes;
  }
  get operatorKey(): string {
    return this.state.operatorKey;
  }
  get cluster(): string {
    return this.state.cluster;
  }

  async kill(node: string): Promise<void> {
    await engineCall(node, this.container(node).kill());
  }

  async restart(node: string): Promise<void> {
    const startingMs = performance.now();
    await engineCall(node, this.container(node).start());
    const startedMs = performance.now();
    // Why calls failed, by message and count: a slow restart's report says what the host met.
    const failures = new Map<string, number>();
    const failed = (e: unknown): void => {
      const text = failureText(e, PATIENT_CALL_TIMEOUT_MS);
      failures.set(text, (failures.get(text) ?? 0) + 1);
    };
    await waitForApi(this.node(node).api, this.signer, RESTART_TIMEOUT_MS, failed).catch(async (e: unknown) => {
      const { State } = await this.container(node).inspect();
      // The testnet is removed after a failed run: what the node said goes into the error.
      throw new UserError(`${node} (${State.Status}, exit code ${State.ExitCode}): ${(e as Error).message}; its last ${LOG_LINES} lines of log:\n${await this.logTail(node)}`);
    });
    // A restart answers in seconds; one that took long is reported with what the node said
    // meanwhile, so its cause can be read after a run that passed (two took 97-99 s: the
    // node answered slower than the 2 s a call then had, while it caught up).
    const answeredMs = performance.now() - startedMs;
    if (answeredMs > SLOW_RESTART_MS) {
      const start = ((startedMs - startingMs) / 1000).toFixed(1);
      console.error(
        `${node} answered ${(answeredMs / 1000).toFixed(1)} s after docker start (which took ${start} s); the calls before: ${[...failures].map(([m, n]) => `${n} × ${m}`).join('; ')}; its last ${LOG_LINES} lines of log:\n${await this.logTail(node)}`,
      );
    }
  }

  private async logTail(node: string): Promise<string> {
    return this.container(node)
      .logs({ stdout: true, stderr: true, follow: false, tail: LOG_LINES })
      .then((raw) => {
        const { stdout, stderr } = demuxFrames(raw);
        return `${stdout.toString()}${stderr.toString()}`.trimEnd();
      })
      .catch((l: Error) => `(its logs could not be read: ${l.message})`);
  }

  /**
   * runc gives up on a freeze that does not settle in time ("unable to freeze", an open
   * engine bug: moby/moby#48205) and thaws the container again; it seldom fails twice.
   */
  async pause(node: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await engineCall(node, this.container(node).pause());
      } catch (e) {
        if (attempt >= PAUSE_ATTEMPTS || !String((e as Error).message).includes('unable to freeze')) throw e;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  async unpause(node: string): Promise<void> {
    await engineCall(node, this.container(node).unpause());
  }

  /** A node named in no group keeps reaching every node: a partial partition. */
  async partition(groups: readonly (readonly string[])[]): Promise<void> {
    const groupOf = new Map<string, number>();
    groups.forEach((group, i) =>
      group.forEach((name) => {
        this.node(name);
        if (groupOf.has(name)) throw new UserError(`${name} is in two groups of the partition`);
        groupOf.set(name, i);
      }),
    );
    const cutOff = (node: TestnetNode): string[] =>
      this.nodes.filter((o) => groupOf.has(node.name) && groupOf.has(o.name) && groupOf.get(o.name) !== groupOf.get(node.name)).map((o) => o.ip);
    await Promise.all(this.nodes.map((node) => this.setRules(node.name, 'SHOAL-PARTITION', partitionRules(cutOff(node)))));
  }

  async heal(): Promise<void> {
    await Promise.all(this.nodes.map((node) => this.setRules(node.name, 'SHOAL-PARTITION', [])));
  }

  async skew(node: string, offsetMs: number): Promise<void> {
    const { api } = this.node(node);
    await postJson(api, this.signer, '/v1/faults/clock', { offsetMs }, PATIENT_CALL_TIMEOUT_MS).catch((e: unknown) => {
      throw new UserError(`${node} does not take the clock offset at ${api.url} (${(e as Error).message}): is it running?`);
    });
  }

  async loss(node: string, percent: number): Promise<void> {
    if (!(percent >= 0 && percent <= 100)) throw new UserError(`invalid loss ${percent}%: expected 0 to 100`);
    const pid = await this.pid(node);
    if (pid === 0) throw new UserError(`${node} is not running`);
    await setFaultRules(pid, 'SHOAL-LOSS', lossRules(percent));
  }

  down(): Promise<void> {
    return teardown(this.docker, this.name, this.cluster);
  }

  private node(name: string): TestnetNode {
    const node = this.nodes.find((n) => n.name === name);
    if (node === undefined) throw new UserError(`no node ${name} in testnet ${this.name}: expected node-1 … node-${this.nodes.length}`);
    return node;
  }

  private container(name: string): Dockerode.Container {
    return this.docker.getContainer(this.node(name).container);
  }

  /** 0 when the container is not running. */
  private async pid(name: string): Promise<number> {
    return (await this.container(name).inspect()).State.Pid;
  }

  /** A stopped node has no namespace to change; the rules on its peers still cut it off. */
  private async setRules(node: string, chain: FaultChain, rules: string[][]): Promise<void> {
    const pid = await this.pid(node);
    if (pid !== 0) await setFaultRules(pid, chain, rules);
  }
}
