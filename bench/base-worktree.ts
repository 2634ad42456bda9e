import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Runs `use` on a worktree of an older commit, for a figure taken side by side with this
 * tree: it shares this tree's node_modules and gets a copy of each of `files` (a workload
 * the older commit may not have); with `build`, its own dist/ too, for benchmarks whose
 * nodes run its bin/shoal.js. The worktree is removed afterwards, whatever happens.
 */
export async function withBaseWorktree<T>(commit: string, files: readonly string[], use: (tree: string) => T | Promise<T>, options: { build?: boolean } = {}): Promise<T> {
  const tree = mkdtempSync(join(tmpdir(), 'shoal-base-'));
  try {
    execFileSync('git', ['worktree', 'add', '--detach', tree, commit], { stdio: 'ignore' });
    symlinkSync(join(process.cwd(), 'node_modules'), join(tree, 'node_modules'));
    for (const file of files) execFileSync('cp', [file, join(tree, file)]);
    if (options.build) execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: tree, stdio: 'ignore' });
    return await use(tree);
  } finally {
    execFileSync('git', ['worktree', 'remove', '--force', tree], { stdio: 'ignore' });
    rmSync(tree, { recursive: true, force: true });
  }
}

/**
 * Runs `one` ROUNDS times on a built worktree of `commit` (which 0) and on this tree
 * (which 1), alternating which goes first, so a change in the machine's load falls on both.
 */
export async function inTurns(commit: string, rounds: number, one: (tree: string, which: 0 | 1) => Promise<void>): Promise<void> {
  await withBaseWorktree(
    commit,
    [],
    async (base) => {
      const trees = [base, process.cwd()] as const;
      for (let round = 0; round < rounds; round++) for (const which of round % 2 === 0 ? ([0, 1] as const) : ([1, 0] as const)) await one(trees[which], which);
    },
    { build: true },
  );
}

/** This tree's commit, short, as the figures name it. */
export const headCommit = (): string => execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();

/** What a side-by-side figure is of: the machine, when, this tree's commit, the other one and the rounds. */
export const inTurnsHeader = (commit: string, rounds: number): { machine: string; date: string; commit: string; base: string; rounds: number } => ({
  machine: `${cpus().length} × ${cpus()[0]?.model}`,
  date: new Date().toISOString(),
  commit: headCommit(),
  base: commit,
  rounds,
});
