import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseShebang, shoalLaunch } from '../../node/shoal-launch.js';

test("bin/shoal.js's own line gives the environment and flags every other launcher uses", () => {
  const launch = shoalLaunch();
  assert.ok(launch.script.endsWith('bin/shoal.js'));
  assert.equal(launch.env, { MALLOC_ARENA_MAX: '2' });
  assert.ok(launch.nodeFlags.includes('--single-threaded-gc'), launch.nodeFlags.join(' '));
  assert.ok(
    launch.nodeFlags.every((f) => f.startsWith('--')),
    launch.nodeFlags.join(' '),
  );
});

test('a line of another shape is refused, not half read', () => {
  assert.equal(parseShebang('#!/usr/bin/env -S node --a=1 --b'), { env: {}, nodeFlags: ['--a=1', '--b'] });
  assert.throws(() => parseShebang('#!/usr/bin/env node'), /not an 'env -S ... node' line/);
  assert.throws(() => parseShebang('#!/usr/bin/env -S X=1 deno run'), /not an 'env -S ... node' line/);
  assert.throws(() => parseShebang('#!/usr/bin/env -S x-y node'), /not NAME=VALUE before node/);
});

test.run();
