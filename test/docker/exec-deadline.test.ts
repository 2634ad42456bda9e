import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { containerExec } from '../../node/agent/docker-streams.js';
import { startSideEngines } from '../../testnet/images/side-engines.js';
import { dockerOrSkip } from './engine.js';

const docker = await dockerOrSkip();
// Side engines are dockerds of their own, which only root may start (CI runs as root).
const root = process.getuid?.() === 0;
if (docker !== null && !root && process.env.SHOAL_REQUIRE_DOCKER === '1') throw new Error('SHOAL_REQUIRE_DOCKER=1, but side engines (dockerds of their own) need root');
const it = docker === null || !root ? test.skip : test;

it('an exec on an engine that stopped answering (SIGSTOP) ends with an error naming the deadline, so a probe cannot hold its prober for good', async () => {
  const side = await startSideEngines(1);
  const [engine] = side.engines;
  if (engine === undefined) throw new Error('no side engine');
  try {
    process.kill(engine.pid, 'SIGSTOP');
    // Far beyond the exec's own deadline (0.2 s for the command, 1 s for the engine): only an exec that never ends gets here.
    const giveUp = new AbortController();
    const outcome = await Promise.race([
      containerExec(engine.docker, 'shoal-no-such-container', ['true'], 200, 1_000).then(
        () => 'answered',
        (e: Error) => e.message,
      ),
      sleep(60_000, 'never ended', { signal: giveUp.signal }).catch(() => 'given up'),
    ]);
    giveUp.abort();
    assert.match(outcome, /the engine did not run the exec within 1200 ms/);
  } finally {
    process.kill(engine.pid, 'SIGCONT');
    await side.stop();
  }
});

test.run();
