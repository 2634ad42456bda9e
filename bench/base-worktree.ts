import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
