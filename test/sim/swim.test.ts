import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { swimConfig, type MemberEvent, type Update } from '../../protocol/swim/index.js';
import { oneView, seenAs, type CheckResult } from '../../testnet/sim/checks.js';
import { Simulation } from '../../testnet/sim/simulation.js';
import { simSeed } from './seed.js';

function expectOk(sim: Simulation, result: CheckResult, what: string): void {
  assert.ok(result.ok, `${what}: ${result.detail}; ${sim.replay()}`);
}

test('200 members joining through one seed converge to one view', () => {
  const sim = new Simulation({ seed: simSeed(200), nodes: 200, countBytes: false });
  sim.run(60_000);
  expectOk(sim, oneView(sim), 'after 60 s');
});

test('5 crashed members are known as dead by every live member', () => {
  const sim = new Simulation({ seed: simSeed(5), nodes: 200, converged: true, countBytes: false });
  sim.run(5_000);
  const victims = sim.ids().filter((_, i) => i % 40 === 7);
  assert.is(victims.length, 5);
  victims.forEach((id) => sim.crash(id));
  sim.run(5_000 + 60_000);
  expectOk(sim, seenAs(sim, victims, ['dead']), 'crashed members');
  expectOk(sim, oneView(sim), 'the survivors');
});

test('a member that speaks for others (left, dead and alive at 2^32-1, signed by nobody) evicts no one', () => {
  const sim = new Simulation({ seed: simSeed(32), nodes: 50, converged: true, countBytes: false });
  const [attacker, victim] = sim.ids() as [string, string];
  const MAX = 0xffffffff;
  const lies = (id: string): Update[] => [
    { kind: 'left', incarnation: MAX, id, signature: '00' },
    { kind: 'dead', incarnation: MAX, id, from: attacker },
    { kind: 'alive', incarnation: MAX, member: { id, addrs: [], labels: {}, capacity: { cpuMillis: 1, memoryBytes: 1 }, version: '0' }, signature: '00' },
  ];
  // Every second for a minute, to every member, about the victim and about the member itself.
  for (let s = 1; s <= 60; s++) {
    sim.at(s * 1_000, () => {
      for (const to of sim.ids()) if (to !== attacker) for (const update of [...lies(victim), ...lies(to)]) sim.sendAs(attacker, to, { type: 'gossip', updates: [update] });
    });
  }
  sim.run(90_000);
  expectOk(sim, seenAs(sim, sim.ids(), ['alive']), 'every member, the victim among them');
  expectOk(sim, oneView(sim), 'after the lies');
  for (const id of sim.ids()) assert.ok((sim.machine(id)?.member(id)?.incarnation ?? 0) < MAX, `${id} refuted no lie: ${sim.replay()}`);
});

test('10% packet loss for 10 virtual minutes declares no live member dead', () => {
  const falseDead: string[] = [];
  const sim = new Simulation({
    seed: simSeed(10),
    nodes: 200,
    converged: true,
    countBytes: false,
    faults: { lossRate: 0.1 },
    onEvent: (node: string, event: MemberEvent) => {
      if (event.change === 'dead') falseDead.push(`${node} declared ${event.id} dead at ${event.atMs} ms`);
    },
  });
  sim.run(10 * 60_000);
  assert.equal(falseDead, [], `${falseDead.slice(0, 3).join('; ')}; ${sim.replay()}`);
  sim.faults.lossRate = 0;
  sim.run(10 * 60_000 + 30_000);
  expectOk(sim, oneView(sim), '30 s after the loss stopped');
});

test('a partition splits the view in two, and its heal ends with one view again', () => {
  const sim = new Simulation({ seed: simSeed(3), nodes: 60, converged: true, countBytes: false, config: swimConfig.lan() });
  sim.run(2_000);
  const ids = sim.ids();
  const left = ids.slice(0, 25);
  const right = ids.slice(25);
  sim.partition.split([left, right]);
  sim.run(2_000 + 120_000);
  expectOk(sim, seenAs({ liveIds: () => left, machine: (id: string) => sim.machine(id) } as Simulation, right, ['dead']), 'left side sees right side dead');
  expectOk(sim, seenAs({ liveIds: () => right, machine: (id: string) => sim.machine(id) } as Simulation, left, ['dead']), 'right side sees left side dead');
  sim.partition.heal();
  sim.run(2_000 + 120_000 + 90_000);
  expectOk(sim, oneView(sim), 'after the heal');
});

test('a member cut off from all others declares each of them dead, though its timers fire early by its clock as Node timers do', () => {
  const sim = new Simulation({ seed: simSeed(11), nodes: 3, converged: true, countBytes: false, config: swimConfig.local(), timerEarlyMs: 30 });
  sim.run(5_000);
  const [a, b, alone] = sim.ids() as [string, string, string];
  sim.partition.split([[a, b], [alone]]);
  sim.run(5_000 + 60_000);
  const only = (ids: string[]) => ({ liveIds: () => ids, machine: (id: string) => sim.machine(id) }) as Simulation;
  // With no one to confirm its suspicions, only its own suspicion timers can end them.
  expectOk(sim, seenAs(only([alone]), [a, b], ['dead']), 'the cut-off member sees the others dead');
  expectOk(sim, seenAs(only([a, b]), [alone], ['dead']), 'the others see it dead');
});

test('a crashed member that restarts rejoins with a higher incarnation', () => {
  const sim = new Simulation({ seed: simSeed(8), nodes: 30, converged: true, countBytes: false });
  sim.run(1_000);
  const [seed, victim] = sim.ids() as [string, string];
  sim.crash(victim);
  sim.run(60_000);
  expectOk(sim, seenAs(sim, [victim], ['dead']), 'before restart');
  sim.restart(victim, [seed]);
  sim.run(80_000);
  expectOk(sim, oneView(sim), 'after restart');
  assert.ok((sim.machine(seed)?.member(victim)?.incarnation ?? 0) > 0);
});

test('a member that leaves gracefully is recorded as left, not dead', () => {
  const sim = new Simulation({ seed: simSeed(9), nodes: 30, converged: true, countBytes: false });
  sim.run(1_000);
  const leaver = sim.ids()[4] as string;
  sim.leave(leaver);
  sim.run(10_000);
  expectOk(sim, seenAs(sim, [leaver], ['left']), 'after leave');
});

test('a run replays exactly from its seed', () => {
  const trace = (seed: number): string => {
    const events: string[] = [];
    const sim = new Simulation({ seed, nodes: 40, faults: { lossRate: 0.05 }, onEvent: (n, e) => events.push(`${n}:${e.id}:${e.change}:${e.atMs}`) });
    sim.run(30_000);
    sim.crash(sim.ids()[3] as string);
    sim.run(60_000);
    return `${events.join('|')}#${sim.traffic.messages}#${sim.traffic.bytes}`;
  };
  assert.is(trace(42), trace(42));
  assert.is.not(trace(42), trace(43));
});

test.run();
