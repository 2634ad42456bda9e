import { swimConfig, type MemberEvent, type SwimConfig } from '../protocol/swim/index.js';
import { Simulation } from '../testnet/sim/simulation.js';
import { percentile, round } from './stats.js';

export interface DetectionFigures {
  members: number;
  config: string;
  lossRate: number;
  crashes: number;
  firstSuspicionS: { p50: number | null; p99: number | null };
  deadAtMemberS: { p50: number | null; p99: number | null; max: number | null };
  deadAtEveryMemberS: { p50: number | null; p99: number | null };
  /** memberlist's LAN defaults: about one probe period to notice, then 4·log10(N) s of suspicion. */
  memberlistLanReferenceS: number;
  falseDead: number;
  messagesPerMemberPerS: number;
  bytesPerMemberPerS: number;
  virtualS: number;
  wallS: number;
}

/** Crashes `crashes` members one after another at `lossRate`, and times how the rest find out. */
export function detection(members: number, config: SwimConfig, configName: string, lossRate: number, crashes: number, virtualMs: number): DetectionFigures {
  const started = performance.now();
  const crashedAt = new Map<string, number>();
  const firstSuspect = new Map<string, number>();
  const deadAt = new Map<string, number[]>();
  let falseDead = 0;
  const onEvent = (_observer: string, event: MemberEvent): void => {
    const crashed = crashedAt.get(event.id);
    if (event.change === 'dead' && crashed === undefined) falseDead++;
    if (crashed === undefined) return;
    if (event.change === 'suspect' && !firstSuspect.has(event.id)) firstSuspect.set(event.id, event.atMs - crashed);
    if (event.change === 'dead') deadAt.get(event.id)?.push(event.atMs - crashed);
  };
  const sim = new Simulation({ seed: 20261124 + members, nodes: members, config, converged: true, faults: { lossRate }, onEvent });
  const ids = sim.ids();
  const spacingMs = Math.floor((virtualMs - 90_000) / crashes);
  for (let i = 0; i < crashes; i++) {
    const victim = ids[1 + Math.floor((i * (ids.length - 1)) / crashes)] as string;
    sim.at(10_000 + i * spacingMs, () => {
      crashedAt.set(victim, sim.nowMs);
      deadAt.set(victim, []);
      sim.crash(victim);
    });
  }
  sim.run(virtualMs);
  const perMember = [...deadAt.values()].flat().map((ms) => ms / 1000);
  const everyMember = [...deadAt.values()].map((times) => (times.length >= members - crashes ? Math.max(...times) / 1000 : Infinity));
  const seconds = virtualMs / 1000;
  return {
    members,
    config: configName,
    lossRate,
    crashes,
    firstSuspicionS: {
      p50: round(
        percentile(
          [...firstSuspect.values()].map((ms) => ms / 1000),
          50,
        ),
      ),
      p99: round(
        percentile(
          [...firstSuspect.values()].map((ms) => ms / 1000),
          99,
        ),
      ),
    },
    deadAtMemberS: { p50: round(percentile(perMember, 50)), p99: round(percentile(perMember, 99)), max: round(perMember.length ? Math.max(...perMember) : null) },
    deadAtEveryMemberS: { p50: round(percentile(everyMember, 50)), p99: round(percentile(everyMember, 99)) },
    memberlistLanReferenceS: round(1 + 4 * Math.log10(members)) as number,
    falseDead,
    messagesPerMemberPerS: round(sim.traffic.messages / members / seconds) as number,
    bytesPerMemberPerS: Math.round(sim.traffic.bytes / members / seconds),
    virtualS: seconds,
    wallS: round((performance.now() - started) / 1000, 1) as number,
  };
}

export interface FalseDeadFigures {
  members: number;
  lossRate: number;
  virtualS: number;
  falseDead: number;
  suspicions: number;
  wallS: number;
}

/** No crashes at all: every dead is false. */
export function falseDeadUnderLoss(members: number, lossRate: number, virtualMs: number): FalseDeadFigures {
  const started = performance.now();
  let falseDead = 0;
  let suspicions = 0;
  const sim = new Simulation({
    seed: 1124 + members,
    nodes: members,
    config: swimConfig.lan(),
    converged: true,
    countBytes: false,
    faults: { lossRate },
    onEvent: (_, event) => {
      if (event.change === 'dead') falseDead++;
      if (event.change === 'suspect') suspicions++;
    },
  });
  sim.run(virtualMs);
  return { members, lossRate, virtualS: virtualMs / 1000, falseDead, suspicions, wallS: round((performance.now() - started) / 1000, 1) as number };
}
