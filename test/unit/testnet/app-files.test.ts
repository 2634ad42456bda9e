import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { packageRoot } from '../../../node/package-root.js';
import { runtimeModules } from '../../../testnet/docker/app-files.js';

const root = packageRoot();
const manifest = (dir: string): { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> } =>
  JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));

test("the node image's modules are the bundle's externals and what they need, not the build and test tools", () => {
  const modules = runtimeModules(root);
  const { shoal } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { shoal: { bundleExternal: string[] } };
  for (const name of shoal.bundleExternal) assert.ok(modules.includes(`node_modules/${name}`), `${name} is copied`);
  for (const tool of ['typescript', 'esbuild', '@biomejs/biome', 'uvu', 'tsx', 'fast-check']) assert.not.ok(modules.includes(`node_modules/${tool}`), `${tool} is not`);
});

test('every package copied finds each of its dependencies among the copied, as Node resolves them', () => {
  const modules = runtimeModules(root);
  const copied = (dir: string): boolean => modules.some((m) => dir === m || dir.startsWith(`${m}/`));
  const resolvable = (from: string, name: string): string | undefined => {
    const parts = from.split('/');
    for (let i = parts.length; i >= 0; i--) {
      if (i > 0 && parts[i - 1] === 'node_modules') continue;
      const at = join(...parts.slice(0, i), 'node_modules', name);
      if (existsSync(join(root, at, 'package.json'))) return at;
    }
    return undefined;
  };
  // A package nested in a copied one is copied with it: check those too.
  const checked = new Set<string>();
  const check = (dir: string): void => {
    if (checked.has(dir)) return;
    checked.add(dir);
    const { dependencies = {}, optionalDependencies = {} } = manifest(dir);
    for (const name of Object.keys({ ...dependencies, ...optionalDependencies })) {
      const at = resolvable(dir, name);
      if (at === undefined) continue;
      assert.ok(copied(at), `${dir} needs ${at}, which is not copied`);
      check(at);
    }
  };
  for (const dir of modules) check(dir);
});

test.run();
