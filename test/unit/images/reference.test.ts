import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { containerImage, MAX_NAME_CHARS, MAX_REFERENCE_CHARS, parseImageReference } from '../../../protocol/images/reference.js';

const HEX = 'a'.repeat(64);
const ID = `sha256:${HEX}`;

const parsed = (text: string): unknown => {
  const result = parseImageReference(text);
  assert.ok(result.ok, `${text}: ${result.ok ? '' : result.error}`);
  return result.ok ? result.value : undefined;
};
const refused = (text: string): string => {
  const result = parseImageReference(text);
  assert.not.ok(result.ok, `${text} was read as ${JSON.stringify(result.ok && result.value)}`);
  return result.ok ? '' : result.error;
};

test('names, tags and digests are read as written, with no default registry or tag', () => {
  assert.equal(parsed('nginx'), { name: 'nginx' });
  assert.equal(parsed('nginx:1.27'), { name: 'nginx', tag: '1.27' });
  assert.equal(parsed('library/nginx:1.27-alpine'), { name: 'library/nginx', tag: '1.27-alpine' });
  assert.equal(parsed(`shoal/busybox:1@${ID}`), { name: 'shoal/busybox', tag: '1', id: ID });
  assert.equal(parsed(`shoal/busybox@${ID}`), { name: 'shoal/busybox', id: ID });
  assert.equal(parsed('my_org/web__app.v2/x-y--z:Latest_1'), { name: 'my_org/web__app.v2/x-y--z', tag: 'Latest_1' });
});

test('a bare content id is an id, not a repository named sha256', () => {
  assert.equal(parsed(ID), { id: ID });
});

test('a registry with a port is told from a tag by the slash after it', () => {
  assert.equal(parsed('localhost:5000/web'), { name: 'localhost:5000/web' });
  assert.equal(parsed('localhost:5000/web:2'), { name: 'localhost:5000/web', tag: '2' });
  assert.equal(parsed('registry.example.com/team/web:2'), { name: 'registry.example.com/team/web', tag: '2' });
  assert.equal(parsed('Registry.Example.com:443/web'), { name: 'Registry.Example.com:443/web' });
  assert.equal(parsed('[::1]:5000/web:2'), { name: '[::1]:5000/web', tag: '2' });
  // As Docker reads it: with no slash, `localhost:5000` is the repository localhost, tag 5000.
  assert.equal(parsed('localhost:5000'), { name: 'localhost', tag: '5000' });
});

test('uppercase is refused in a repository path, and named as the reason', () => {
  assert.match(refused('Nginx'), 'must be lowercase');
  assert.match(refused('library/Nginx:1'), 'must be lowercase');
  assert.match(refused('registry.example.com/Team/web'), 'must be lowercase');
});

test('empty parts are refused: reference, name, tag, path component, digest', () => {
  assert.match(refused(''), 'empty');
  assert.match(refused(':1.27'), 'name is empty');
  assert.match(refused('nginx:'), 'tag after nginx: is empty');
  assert.match(refused('a//b'), 'empty');
  assert.match(refused('/nginx'), 'empty');
  assert.match(refused('nginx/'), 'empty');
  assert.match(refused('registry.example.com/'), 'empty');
  assert.match(refused('nginx@'), 'digest (empty)');
});

test('references past their bounds are refused with the length', () => {
  const longName = `${'a'.repeat(MAX_NAME_CHARS - 2)}/b`;
  assert.ok(parseImageReference(longName).ok);
  assert.match(refused(`${longName}c`), `at most ${MAX_NAME_CHARS}`);
  assert.match(refused(`web:${'t'.repeat(129)}`), 'at most 128');
  assert.ok(parseImageReference(`web:${'t'.repeat(128)}`).ok);
  assert.match(refused('a'.repeat(MAX_REFERENCE_CHARS + 1)), `at most ${MAX_REFERENCE_CHARS}`);
});

test('malformed components, tags, ports and digests are refused, each with what is wrong', () => {
  assert.match(refused('web-/x'), 'path component web-');
  assert.match(refused('we..b'), 'path component we..b');
  assert.match(refused('we___b'), 'path component');
  assert.match(refused('web:.1'), 'tag .1');
  assert.match(refused('web:-1'), 'tag -1');
  assert.match(refused('web:a+b'), 'tag a+b');
  assert.match(refused('localhost:99999/web'), 'port');
  assert.match(refused('localhost:http/web'), 'port');
  assert.match(refused('-bad.example.com/web'), 'not a host name');
  assert.match(refused('[zz]:5000/web'), 'IPv6');
  assert.match(refused(`web@sha256:${'A'.repeat(64)}`), 'lowercase hex');
  assert.match(refused(`web@sha512:${HEX}`), 'expected sha256');
  assert.match(refused(`web@${ID}@${ID}`), 'expected sha256');
  assert.match(refused('sha256:abc'), 'not an image id');
  assert.match(refused(HEX), 'write sha256:');
  assert.match(refused('web nginx'), 'path component');
});

test('a long run of letters before a bad character is refused at once, not after backtracking', () => {
  const startedAt = performance.now();
  refused(`${'a'.repeat(200)}-!`);
  refused(`${'a-'.repeat(100)}_`);
  assert.ok(performance.now() - startedAt < 100);
});

test('the engine is handed the id for a digest reference, and the reference otherwise', () => {
  const other = `sha256:${'b'.repeat(64)}`;
  assert.is(containerImage(`shoal/busybox@${ID}`, ID), ID);
  assert.is(containerImage(`shoal/busybox:1@${ID}`, ID), ID);
  assert.is(containerImage(ID, ID), ID);
  assert.is(containerImage('shoal/busybox:1', other), 'shoal/busybox:1');
  assert.is(containerImage('localhost:5000/web', other), 'localhost:5000/web');
  assert.is(containerImage('Not A Reference', other), 'Not A Reference');
});

test.run();
