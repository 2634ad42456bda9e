import type { MemberId, MemberState } from '../../protocol/swim/index.js';
import type { Simulation } from './simulation.js';

/** A failed check says which node saw what, so a seed plus this line explains a run. */
export interface CheckResult {
  ok: boolean;
  detail: string;
}

const pass: CheckResult = { ok: true, detail: 'ok' };

/** Every live node sees exactly the live nodes as alive, and nothing else as alive or suspect. */
export function oneView(sim: Simulation): CheckResult {
  const live = new Set(sim.liveIds());
  for (const id of live) {
    const views = sim.machine(id)?.members() ?? [];
    const reachable = views.filter((v) => v.state === 'alive' || v.state === 'suspect');
    const wrong = reachable.find((v) => v.state !== 'alive' || !live.has(v.record.id));
    if (wrong) return { ok: false, detail: `${id} sees ${wrong.record.id} as ${wrong.state}` };
    if (reachable.length !== live.size) {
      const seen = new Set(reachable.map((v) => v.record.id));
      const missing = [...live].find((m) => !seen.has(m));
      return { ok: false, detail: `${id} sees ${reachable.length} of ${live.size} live members alive (missing ${missing})` };
    }
  }
  return pass;
}

/** Every live node holds each of `ids` in one of `states`. */
export function seenAs(sim: Simulation, ids: readonly MemberId[], states: readonly MemberState[]): CheckResult {
  for (const observer of sim.liveIds()) {
    const machine = sim.machine(observer);
    for (const id of ids) {
      const state = machine?.member(id)?.state;
      if (state === undefined || !states.includes(state)) {
        return { ok: false, detail: `${observer} sees ${id} as ${state ?? 'unknown'}, want ${states.join('|')}` };
      }
    }
  }
  return pass;
}
