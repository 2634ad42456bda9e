import { createRandom } from '../../../base/random.js';
import {
  aliveStatement,
  leftStatement,
  SwimMachine,
  swimConfig,
  type Effect,
  type MemberRecord,
  type SwimConfig,
  type SwimMessage,
  type SyncEntry,
  type Timer,
  type Update,
} from '../../../protocol/swim/index.js';
import { signedAtStart, standInSignature, standInSignatures } from '../../../testnet/sim/stand-in-signatures.js';

export const record = (id: string): MemberRecord => ({
  id,
  addrs: [`/ip4/127.0.0.1/tcp/${4000 + id.charCodeAt(0)}`],
  labels: {},
  capacity: { cpuMillis: 1000, memoryBytes: 1024 },
  version: '0.1.0',
});

/** Member `member.id`'s own word that it is alive with `member` at `incarnation`, signed by it. */
export const alive = (incarnation: number, member: MemberRecord): Extract<Update, { kind: 'alive' }> => ({
  kind: 'alive',
  incarnation,
  member,
  signature: standInSignature(member.id, aliveStatement(incarnation, member)),
});

/** Member `id`'s own word that it leaves at `incarnation`, signed by it. */
export const left = (id: string, incarnation: number): Extract<Update, { kind: 'left' }> => ({
  kind: 'left',
  incarnation,
  id,
  signature: standInSignature(id, leftStatement(id, incarnation)),
});

/** A sync entry for `member` alive at `incarnation`, with its signature. */
export const aliveEntry = (member: MemberRecord, incarnation: number): SyncEntry => ({ member, incarnation, state: 'alive', signature: alive(incarnation, member).signature });

export const signatures = standInSignatures;

export const sends = (effects: Effect[]): { to: string; message: SwimMessage }[] => effects.flatMap((e) => (e.type === 'send' ? [{ to: e.to, message: e.message }] : []));

export const timers = (effects: Effect[]): { timer: Timer; afterMs: number }[] => effects.flatMap((e) => (e.type === 'timer' ? [{ timer: e.timer, afterMs: e.afterMs }] : []));

export const changes = (effects: Effect[]): string[] => effects.flatMap((e) => (e.type === 'event' ? [`${e.event.id}:${e.event.change}`] : []));

/** A machine "a" that already knows `peers`, with its start-up effects discarded (lag awareness on unless `lagAwareness` is false). */
export function machineWith(peers: string[], config: Partial<SwimConfig> = {}, seed = 7, lagAwareness = true): SwimMachine {
  const machine = new SwimMachine({ config: { ...swimConfig.lan(), ...config }, self: record('a'), signatures: signatures('a'), random: createRandom(seed), lagAwareness });
  machine.start();
  machine.learn(signedAtStart(peers.map(record)), 0);
  return machine;
}

export function onlySend(effects: Effect[]): { to: string; message: SwimMessage } {
  const out = sends(effects);
  if (out.length !== 1) throw new Error(`expected one send, got ${out.length}: ${JSON.stringify(out)}`);
  return out[0] as { to: string; message: SwimMessage };
}

/** Ticks the probe timer and returns the ping it sent. */
export function probe(machine: SwimMachine, nowMs: number): { to: string; seq: number; effects: Effect[] } {
  const effects = machine.handleTimer({ kind: 'probe' }, nowMs);
  const ping = sends(effects).find((s) => s.message.type === 'ping');
  if (ping === undefined || ping.message.type !== 'ping') throw new Error('no ping sent');
  return { to: ping.to, seq: ping.message.seq, effects };
}
