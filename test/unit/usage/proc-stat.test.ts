import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pageSizeFromAuxv, parseProcStat, treeUsage, type ProcStat } from '../../../node/usage/proc-stat.js';

/** A /proc/<pid>/stat line with the fields usage reads set, the rest plausible. */
const statLine = (pid: number, comm: string, o: { ppid: number; session: number; utime: number; stime: number; cutime?: number; cstime?: number; rss: number }): string =>
  `${pid} (${comm}) S ${o.ppid} ${pid} ${o.session} 0 -1 4194560 120 0 0 0 ${o.utime} ${o.stime} ${o.cutime ?? 0} ${o.cstime ?? 0} 20 0 1 0 5123 2854912 ${o.rss} 18446744073709551615 1 1 0 0 0 0 0 0 65538 0 0 17 1 0 0 0 0 0\n`;

test('a stat line gives its pid, parent, session, CPU ticks (own and reaped children) and resident pages', () => {
  assert.equal(parseProcStat(statLine(4242, 'sh', { ppid: 1, session: 4242, utime: 150, stime: 30, cutime: 12, cstime: 8, rss: 210 })), {
    pid: 4242,
    ppid: 1,
    session: 4242,
    cpuTicks: 200,
    rssPages: 210,
  });
});

test('a command name with spaces and parentheses does not shift the fields', () => {
  const parsed = parseProcStat(statLine(7, 'a) b (c) d', { ppid: 3, session: 3, utime: 1, stime: 2, rss: 5 }));
  assert.equal(parsed, { pid: 7, ppid: 3, session: 3, cpuTicks: 3, rssPages: 5 });
});

test('an empty or cut-off stat (a process that ended as it was read) is no process', () => {
  assert.is(parseProcStat(''), undefined);
  assert.is(parseProcStat('12 (sleep) S 1 12'), undefined);
  assert.is(parseProcStat('garbage'), undefined);
});

const auxv = (...pairs: [number, number][]): Uint8Array => {
  const view = new DataView(new ArrayBuffer(pairs.length * 16));
  pairs.forEach(([type, value], i) => {
    view.setBigUint64(i * 16, BigInt(type), true);
    view.setBigUint64(i * 16 + 8, BigInt(value), true);
  });
  return new Uint8Array(view.buffer);
};

test('the page size is read from the auxiliary vector, and only a power of two a page can be', () => {
  assert.is(pageSizeFromAuxv(auxv([33, 0x7fff0000], [16, 0xbfebfbff], [6, 4096], [17, 100], [0, 0])), 4096);
  assert.is(pageSizeFromAuxv(auxv([6, 65536], [0, 0])), 65536);
  assert.is(pageSizeFromAuxv(auxv([17, 100], [0, 0], [6, 4096])), undefined, 'past AT_NULL');
  assert.is(pageSizeFromAuxv(auxv([6, 5000], [0, 0])), undefined);
  assert.is(pageSizeFromAuxv(new Uint8Array(7)), undefined);
});

const proc = (pid: number, ppid: number, session: number, cpuTicks: number, rssPages: number): ProcStat => ({ pid, ppid, session, cpuTicks, rssPages });

test("a replica's usage sums its wrapper, its session and descendants that left it, and nothing else", () => {
  const table = [
    proc(1, 0, 1, 9_999, 9_999),
    proc(100, 1, 100, 10, 100), // the wrapper: its own session
    proc(101, 100, 100, 250, 1_000), // the command
    proc(102, 101, 100, 40, 300), // a child of the command
    proc(103, 101, 103, 5, 50), // a child that called setsid
    proc(104, 103, 103, 5, 50), // ... and its own child
    proc(105, 1, 100, 3, 30), // an orphan still in the session
    proc(200, 1, 200, 777, 777), // another replica
  ];
  assert.equal(treeUsage(table, 100, 4096), { cpuNanos: (313 * 1e9) / 100, memoryBytes: 1_530 * 4096 });
  assert.equal(treeUsage(table, 200, 16384), { cpuNanos: 7.77e9, memoryBytes: 777 * 16384 });
});

test('a wrapper that is gone has no usage', () => {
  assert.is(treeUsage([proc(101, 100, 100, 1, 1)], 100, 4096), undefined);
});

test('the processes of this test process read from /proc parse', async () => {
  const { readFileSync } = await import('node:fs');
  const self = parseProcStat(readFileSync('/proc/self/stat', 'utf8'));
  assert.is(self?.pid, process.pid);
  assert.ok((self?.rssPages ?? 0) > 0);
});

test.run();
