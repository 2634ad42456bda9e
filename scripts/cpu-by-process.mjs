#!/usr/bin/env node
// Where a command's CPU goes, machine-wide: `node scripts/cpu-by-process.mjs npm test` runs
// the command and, once it ends, prints the CPU seconds every process on the machine used
// meanwhile, by kind (Shoal nodes, test processes, the CLI, Docker's daemons, kernel
// threads...), then exits with the command's code. The suite is bound by CPU on two cores
// (the machine 92% busy at two lanes; a third made it 5% faster), so its time is cut where
// this says the CPU goes.
// Linux only (/proc). Sampled every second: a process that starts and ends between two
// samples is missed, so short CLI runs count low.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;
const SAMPLE_MS = 1_000;

/** What a process is, from its command line (a kernel thread has none: its name then). */
function kindOf(pid) {
  const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  if (cmd === '')
    return `kernel ${readFileSync(`/proc/${pid}/comm`, 'utf8')
      .trim()
      .replace(/[/:]\d+.*$/, '')}`;
  if (/shoal(\.js)? start/.test(cmd)) return 'shoal node';
  if (cmd.includes('fence-keeper')) return 'shoal fence keeper';
  if (cmd.includes('uvu/bin.js')) return `test process (${/ test\/(\w+)/.exec(cmd)?.[1] ?? '?'})`;
  if (/bin\/shoal(\.js)? /.test(cmd)) return 'shoal CLI';
  const program = cmd.split(' ')[0].split('/').pop();
  return program === 'node' ? `node ${cmd.slice(0, 50)}` : program;
}

/** The machine's busy and idle CPU seconds since boot, from /proc/stat: what no sample misses. */
function machineCpu() {
  const [, user, nice, system, idle, iowait, irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  return { busy: (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND, idle: (idle + iowait) / TICKS_PER_SECOND };
}

const seen = new Map(); // `${pid}@${start}` -> { cpu, kind }
const totals = new Map();
function sample() {
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cpu = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
      const key = `${pid}@${fields[19]}`;
      let entry = seen.get(key);
      if (entry === undefined) {
        entry = { cpu: 0, kind: kindOf(pid) };
        seen.set(key, entry);
      }
      if (cpu > entry.cpu) totals.set(entry.kind, (totals.get(entry.kind) ?? 0) + cpu - entry.cpu);
      entry.cpu = cpu;
    } catch {
      // It ended while read.
    }
  }
}

const [command, ...args] = process.argv.slice(2);
if (command === undefined) {
  console.error('usage: node scripts/cpu-by-process.mjs COMMAND [ARGS...]');
  process.exit(2);
}
const startedAt = Date.now();
const machineBefore = machineCpu();
// What the processes running now used before the command started is not its.
sample();
totals.clear();
const timer = setInterval(sample, SAMPLE_MS);
const child = spawn(command, args, { stdio: 'inherit' });
child.on('close', (code) => {
  clearInterval(timer);
  sample();
  const wall = (Date.now() - startedAt) / 1000;
  const rows = [...totals].sort((a, b) => b[1] - a[1]);
  const sum = rows.reduce((s, [, v]) => s + v, 0);
  const machine = machineCpu();
  const busy = machine.busy - machineBefore.busy;
  const idle = machine.idle - machineBefore.idle;
  console.error(
    `\nThe machine over ${wall.toFixed(0)} s: ${busy.toFixed(0)} CPU seconds busy, ${idle.toFixed(0)} idle (${(busy / wall).toFixed(2)} cores busy on average; ${(busy - sum).toFixed(0)} s of the busy time is in no process sampled: short processes, interrupts).`,
  );
  console.error(`CPU by process kind (${sum.toFixed(0)} CPU seconds):`);
  for (const [kind, seconds] of rows.slice(0, 30)) console.error(`${seconds.toFixed(1).padStart(9)} s  ${((100 * seconds) / sum).toFixed(1).padStart(5)}%  ${kind}`);
  process.exit(code ?? 1);
});
