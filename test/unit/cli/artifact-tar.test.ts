import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { artifactTar } from '../../../cli/commands/artifact.js';
import { ArtifactStore } from '../../../node/artifacts/artifact-store.js';
import { UserError } from '../../../node/errors.js';

const root = mkdtempSync(join(tmpdir(), 'shoal-artifact-tar-'));
let n = 0;

/** A directory with a script, a nested file and a link to it. */
function tree(): string {
  const dir = join(root, `tree-${n++}`);
  mkdirSync(join(dir, 'lib', 'deep'), { recursive: true });
  writeFileSync(join(dir, 'run.sh'), '#!/bin/sh\necho marker\n', { mode: 0o755 });
  writeFileSync(join(dir, 'lib', 'deep', 'data.txt'), 'data');
  writeFileSync(join(dir, 'b.txt'), 'b');
  writeFileSync(join(dir, `${'long-name-'.repeat(15)}.txt`), 'a name past the 100 characters of a plain tar header');
  symlinkSync('lib/deep/data.txt', join(dir, 'data'));
  return dir;
}

const packed = (dir: string) => artifactTar(dir, join(root, `out-${n++}.tar`));

async function refusal(dir: string): Promise<string> {
  try {
    await packed(dir);
  } catch (e) {
    assert.instance(e, UserError);
    return (e as Error).message;
  }
  return 'packed';
}

test.after(() => rmSync(root, { recursive: true, force: true }));

test('the same directory packed twice, or a copy of it made later, has the same id', async () => {
  const dir = tree();
  const [first, second] = [await packed(dir), await packed(dir)];
  assert.equal(first, second);
  assert.match(first.id, /^sha256:[0-9a-f]{64}$/);
  assert.is(first.entries, 7);
  const again = tree();
  assert.is((await packed(again)).id, first.id, 'made by other calls, at another time');
});

test('times, and modes but the executable bit, do not change the id; the executable bit does', async () => {
  const dir = tree();
  const before = (await packed(dir)).id;
  utimesSync(join(dir, 'b.txt'), new Date('2001-01-01'), new Date('2001-01-01'));
  utimesSync(join(dir, 'lib'), new Date('2011-01-01'), new Date('2011-01-01'));
  chmodSync(join(dir, 'b.txt'), 0o600);
  chmodSync(join(dir, 'lib'), 0o700);
  assert.is((await packed(dir)).id, before);
  chmodSync(join(dir, 'b.txt'), 0o700);
  assert.is.not((await packed(dir)).id, before);
});

test('a link that leads out of the directory is refused, naming it: no link is followed', async () => {
  const dir = tree();
  symlinkSync('../../etc/passwd', join(dir, 'lib', 'escape'));
  assert.match(await refusal(dir), /lib\/escape -> \.\.\/\.\.\/etc\/passwd leads outside the artifact/);
  const absolute = tree();
  symlinkSync('/etc', join(absolute, 'etc'));
  assert.match(await refusal(absolute), /symbolic link etc points to \/etc, an absolute path/);
});

test('a fifo is refused, naming it; so is a path that is no directory', async () => {
  const dir = tree();
  execFileSync('mkfifo', [join(dir, 'pipe')]);
  assert.match(await refusal(dir), /pipe is a fifo: an artifact holds files, directories and symbolic links only/);
  assert.match(await refusal(join(dir, 'run.sh')), /is not a directory/);
});

test('what the CLI packs, a node unpacks: files, links, the executable bit', async () => {
  const dir = tree();
  const out = join(root, `out-${n++}.tar`);
  const { id, sizeBytes } = await artifactTar(dir, out);
  assert.is(statSync(out).size, sizeBytes);
  const store = await ArtifactStore.open(join(root, `store-${n++}`));
  await store.accept(id, out);
  const into = join(root, `copy-${n++}`);
  assert.ok(await store.copy(id, into));
  assert.is(execFileSync(join(into, 'run.sh'), { encoding: 'utf8' }), 'marker\n');
  assert.is(readFileSync(join(into, 'data'), 'utf8'), 'data');
  assert.is(statSync(join(into, 'b.txt')).mode & 0o777, 0o644);
});

test.run();
