import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ArtifactEntries, artifactMode, entryPath, MAX_ARTIFACT_BYTES, MAX_ARTIFACT_ENTRIES, resolveLink, type TarHeader } from '../../../protocol/content/artifact-entries.js';

const path = (name: string): string => {
  const r = entryPath(name);
  return r.ok ? r.value : `refused: ${r.error}`;
};

/** Admits every header in order, then the links; the first refusal, or 'ok'. */
function verdict(headers: readonly TarHeader[]): string {
  const entries = new ArtifactEntries();
  for (const h of headers) {
    const r = entries.admit(h);
    if (!r.ok) return r.error;
  }
  const links = entries.finish();
  return links.ok ? 'ok' : links.error;
}

const file = (name: string, size = 1): TarHeader => ({ name, type: 'file', size, mode: 0o644 });
const dir = (name: string): TarHeader => ({ name, type: 'directory', mode: 0o755 });
const link = (name: string, target: string): TarHeader => ({ name, type: 'symlink', linkname: target });

test('entry names become paths inside the artifact: ./, doubled and trailing slashes go', () => {
  assert.is(path('./run.sh'), 'run.sh');
  assert.is(path('lib//x/./y/'), 'lib/x/y');
  assert.is(path('./'), '');
  assert.is(path('a..b/..c'), 'a..b/..c', 'dots inside a name are a name');
});

test('an absolute path, a .. anywhere and a NUL are refused', () => {
  assert.match(path('/etc/passwd'), /refused: .*absolute/);
  assert.match(path('../x'), /refused: .*climbs out/);
  assert.match(path('a/../../x'), /refused: .*climbs out/);
  assert.match(path('a/b/..'), /refused: .*climbs out/);
  assert.match(path('a\0b'), /refused: .*NUL/);
  assert.match(path('a/'.repeat(3000)), /refused: .*longer than/);
});

test('files, directories and links inside make a good archive; the root entry is skipped', () => {
  const entries = new ArtifactEntries();
  assert.equal(entries.admit(dir('./')), { ok: true, value: undefined });
  assert.equal(entries.admit({ name: 'bin/run', type: 'file', size: 10, mode: 0o4775 }), { ok: true, value: { path: 'bin/run', type: 'file', sizeBytes: 10, mode: 0o755 } });
  assert.equal(entries.admit(link('run', 'bin/run')), { ok: true, value: { path: 'run', type: 'symlink', sizeBytes: 0, mode: 0o644, target: 'bin/run' } });
  assert.ok(entries.finish().ok);
  assert.equal([entries.count, entries.sizeBytes], [3, 10]);
});

test('modes keep the executable bit only: no setuid, nothing world-writable', () => {
  assert.is(artifactMode('file', 0o4777), 0o755);
  assert.is(artifactMode('file', 0o666), 0o644);
  assert.is(artifactMode('file', 0o100), 0o755);
  assert.is(artifactMode('directory', 0o700), 0o755);
});

test('devices, fifos and hard links are refused', () => {
  assert.match(verdict([{ name: 'null', type: 'character-device' }]), /null is a character-device: an artifact holds files, directories and symbolic links only/);
  assert.match(verdict([{ name: 'disk', type: 'block-device' }]), /block-device/);
  assert.match(verdict([{ name: 'pipe', type: 'fifo' }]), /fifo/);
  assert.match(verdict([file('a'), { name: 'b', type: 'link', linkname: 'a' }]), /b is a link/);
  assert.match(verdict([{ name: 'sparse', type: null, size: 10 }]), /sparse is a file of a type tar does not know/);
});

test('a link that leads outside is refused: absolute, climbing, or through another link', () => {
  assert.match(verdict([link('etc', '/etc')]), /absolute path: outside the artifact/);
  assert.match(verdict([link('up', '..')]), /up -> \.\. leads outside/);
  assert.match(verdict([dir('a'), link('a/up', '../..')]), /leads outside/);
  assert.is(verdict([dir('a'), link('a/up', '../a')]), 'ok');
  // Read lexically, `b/..` is the root; b is the root itself, so it is the root's parent.
  assert.match(verdict([link('b', '.'), link('a', 'b/..')]), /a -> b\/\.\. leads outside/);
  assert.match(verdict([link('a', 'b/..'), link('b', '.')]), /leads outside/, 'whichever comes first');
  assert.match(verdict([link('x', 'y'), link('y', 'x')]), /leads outside/, 'a loop leads nowhere');
});

test("resolveLink follows the archive's links as the kernel would", () => {
  const links = new Map([
    ['lib', 'vendor/lib'],
    ['bin/tool', '../lib/tool'],
  ]);
  assert.is(resolveLink('bin/tool', links), 'vendor/lib/tool');
  assert.is(resolveLink('lib', links), 'vendor/lib');
  assert.is(resolveLink('missing', links), undefined);
});

test('nothing may lie beneath a link or a file, in either order: that is how a write escapes', () => {
  assert.match(verdict([link('evil', 'sub'), file('evil/x')]), /evil\/x lies beneath the symlink evil/);
  assert.match(verdict([file('evil/x'), link('evil', 'sub')]), /evil is a symlink, and other entries lie beneath it/);
  assert.match(verdict([file('f'), file('f/x')]), /lies beneath the file f/);
  assert.match(verdict([file('a'), file('a')]), /a appears twice/);
  assert.match(verdict([link('a', 'b'), dir('a')]), /a appears twice/);
  assert.is(verdict([file('d/x'), dir('d')]), 'ok', 'a directory named after its contents is fine');
});

test('entries and bytes are bounded', () => {
  const entries = new ArtifactEntries();
  let refusal = '';
  for (let i = 0; i <= MAX_ARTIFACT_ENTRIES && refusal === ''; i++) {
    const r = entries.admit(file(`f${i}`, 0));
    if (!r.ok) refusal = r.error;
  }
  assert.match(refusal, `more than ${MAX_ARTIFACT_ENTRIES} entries`);
  assert.match(verdict([file('a', MAX_ARTIFACT_BYTES), file('b', 1)]), /more than 4 GiB/);
  assert.match(verdict([file('a', -1)]), /no valid size/);
});

test.run();
