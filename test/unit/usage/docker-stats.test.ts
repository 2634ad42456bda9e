import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dockerMemoryBytes, dockerUsage } from '../../../node/usage/docker-stats.js';

test('memory on cgroup v2 is usage less inactive_file, as docker stats shows it', () => {
  assert.is(dockerMemoryBytes({ usage: 10_000_000, stats: { inactive_file: 3_000_000, active_file: 1_000 } }), 7_000_000);
});

test('memory on cgroup v1 is usage less total_inactive_file', () => {
  assert.is(dockerMemoryBytes({ usage: 10_000_000, stats: { total_inactive_file: 4_000_000, inactive_file: 1_000_000 } }), 6_000_000);
});

test('memory is the whole usage when the cache is not less than it, or not reported', () => {
  assert.is(dockerMemoryBytes({ usage: 1_000, stats: { inactive_file: 5_000 } }), 1_000);
  assert.is(dockerMemoryBytes({ usage: 1_000 }), 1_000);
  assert.is(dockerMemoryBytes(undefined), 0);
});

test("a stats answer gives cumulative CPU in ns, memory and the engine's read time", () => {
  assert.equal(
    dockerUsage({
      read: '2024-05-01T10:00:05.123456789Z',
      cpu_stats: { cpu_usage: { total_usage: 12_345_678_900 } },
      memory_stats: { usage: 50_000_000, stats: { inactive_file: 10_000_000 } },
    }),
    { cpuNanos: 12_345_678_900, memoryBytes: 40_000_000, atMs: Date.parse('2024-05-01T10:00:05.123Z') },
  );
});

test('a stopped container answers zeros and no time; that is what it reads as', () => {
  assert.equal(dockerUsage({ read: '0001-01-01T00:00:00Z', cpu_stats: { cpu_usage: {} }, memory_stats: {} }), { cpuNanos: 0, memoryBytes: 0, atMs: undefined });
});

test.run();
