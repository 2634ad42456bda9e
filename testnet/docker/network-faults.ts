import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { UserError } from '../../node/errors.js';

const run = promisify(execFile);

/**
 * Network faults are iptables rules inside one node container's network namespace,
 * entered from the host with nsenter (the node image needs no iptables, and the node
 * cannot undo them). Each kind of fault has its own chain, jumped to from INPUT and
 * OUTPUT for every interface but loopback, so setting or ending one kind flushes only
 * its own rules and leaves Docker's and the other kind's alone. A restarted container
 * has a fresh namespace: its own rules are gone, while its peers' rules still cut it off.
 */
export type FaultChain = 'SHOAL-PARTITION' | 'SHOAL-LOSS';

/** Drops everything from and to these addresses. */
export const partitionRules = (ips: readonly string[]): string[][] =>
  ips.flatMap((ip) => [
    ['-s', ip, '-j', 'DROP'],
    ['-d', ip, '-j', 'DROP'],
  ]);

/** Drops each packet, in and out, with probability percent / 100 (tc netem is not in this kernel). */
export const lossRules = (percent: number): string[][] =>
  percent === 0 ? [] : [['-m', 'statistic', '--mode', 'random', '--probability', (percent / 100).toFixed(4), '-j', 'DROP']];

async function iptables(pid: number, args: string[]): Promise<boolean> {
  try {
    await run('nsenter', ['-t', String(pid), '-n', 'iptables', '-w', ...args]);
    return true;
  } catch (e) {
    const error = e as NodeJS.ErrnoException & { stderr?: string };
    if (error.code === 'ENOENT') throw new UserError('network faults need nsenter and iptables on this host: apt-get install -y util-linux iptables');
    if (/permitted|denied/i.test(error.stderr ?? '')) throw new UserError("network faults need root: nsenter enters the node's network namespace");
    if (/already exists|does a matching rule exist/i.test(error.stderr ?? '')) return false;
    throw new Error(`iptables ${args.join(' ')} in the namespace of pid ${pid} failed: ${error.stderr?.trim() ?? error.message}`);
  }
}

/** Replaces the rules of `chain` in the network namespace of `pid` with `rules`; none ends the fault. */
export async function setFaultRules(pid: number, chain: FaultChain, rules: readonly string[][]): Promise<void> {
  await iptables(pid, ['-N', chain]);
  for (const [hook, iface] of [
    ['INPUT', '-i'],
    ['OUTPUT', '-o'],
  ] as const) {
    const jump = [hook, '!', iface, 'lo', '-j', chain];
    if (!(await iptables(pid, ['-C', ...jump]))) await iptables(pid, ['-A', ...jump]);
  }
  await iptables(pid, ['-F', chain]);
  for (const rule of rules) await iptables(pid, ['-A', chain, ...rule]);
}
