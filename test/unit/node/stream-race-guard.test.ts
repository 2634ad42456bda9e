import { spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

/** A process with the guard, where an error named `name` escapes from a timer; its exit code. */
function escaped(name: string): number | null {
  const script = `
    import { pino } from 'pino';
    import { guardStreamRaces } from './node/stream-race-guard.ts';
    guardStreamRaces(pino({ level: 'silent' }));
    setTimeout(() => { const e = new Error('escaped'); e.name = ${JSON.stringify(name)}; throw e; }, 0);
    setTimeout(() => process.exit(0), 100);
  `;
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' }).status;
}

test('a libp2p stream error thrown where nobody can catch it leaves the node running', () => {
  assert.is(escaped('StreamStateError'), 0);
});

test('any other uncaught error still ends the process', () => {
  assert.is(escaped('TypeError'), 1);
});

test.run();
