import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  type ContentHeader,
  type ContentRequest,
  decodeContentHeader,
  decodeContentRequest,
  encodeContentHeader,
  encodeContentRequest,
  MAX_CONTENT_MESSAGE_BYTES,
  MAX_DETAIL_CHARS,
} from '../../../protocol/images/transfer-codec.js';

const utf8 = new TextEncoder();
const bytes = (value: unknown): Uint8Array => utf8.encode(JSON.stringify(value));
const ID = `sha256:${'c'.repeat(64)}`;

const requestCode = (value: unknown): string | undefined => {
  const decoded = decodeContentRequest(bytes(value));
  return decoded.ok ? undefined : decoded.error.code;
};
const headerCode = (value: unknown): string | undefined => {
  const decoded = decodeContentHeader(bytes(value));
  return decoded.ok ? undefined : decoded.error.code;
};

test('requests and headers survive encoding and decoding', () => {
  const requests: ContentRequest[] = [
    { kind: 'image', id: ID, offset: 0 },
    { kind: 'artifact', id: ID, offset: Number.MAX_SAFE_INTEGER },
  ];
  for (const r of requests) assert.equal(decodeContentRequest(encodeContentRequest(r)), { ok: true, value: r });
  const headers: ContentHeader[] = [
    { ok: true, sizeBytes: 0 },
    { ok: true, sizeBytes: 17 * 2 ** 30 },
    // A holder still writing the archive out does not know its size yet.
    { ok: true },
    { ok: false, code: 'not-found', detail: 'image sha256:... is not held here' },
    { ok: false, code: 'busy', detail: '' },
    { ok: false, code: 'bad-request', detail: 'offset 9 is past the end' },
  ];
  for (const h of headers) assert.equal(decodeContentHeader(encodeContentHeader(h)), { ok: true, value: h });
});

test('the encoders write only the fields a receiver reads', () => {
  const request = { kind: 'image' as const, id: ID, offset: 3, extra: true };
  assert.equal(decodeContentRequest(encodeContentRequest(request)), { ok: true, value: { kind: 'image', id: ID, offset: 3 } });
  const header = { ok: true as const, sizeBytes: 5, code: 'busy' };
  assert.equal(decodeContentHeader(encodeContentHeader(header)), { ok: true, value: { ok: true, sizeBytes: 5 } });
  assert.equal(decodeContentHeader(encodeContentHeader({ ok: true, sizeBytes: undefined })), { ok: true, value: { ok: true } });
});

test('a request with another kind, an id that is not sha256:<64 hex>, or a bad offset is refused as invalid', () => {
  const good = { kind: 'image', id: ID, offset: 0 };
  for (const bad of [
    { kind: 'blob' },
    { id: 'sha256:abc' },
    { id: `sha256:${'C'.repeat(64)}` },
    { id: `sha512:${'c'.repeat(64)}` },
    { offset: -1 },
    { offset: 1.5 },
    { offset: 2 ** 53 },
    { offset: '0' },
    { extra: 1 },
  ]) {
    assert.is(requestCode({ ...good, ...bad }), 'invalid', JSON.stringify(bad));
  }
  assert.is(requestCode({ kind: 'image', id: ID }), 'invalid');
  assert.is(requestCode([good]), 'too-deep');
  assert.is(decodeContentRequest(utf8.encode('{"kind":"image"')).ok, false);
});

test('a header is one of the two shapes, and nothing else', () => {
  assert.is(headerCode({ ok: true, sizeBytes: null }), 'invalid');
  assert.is(headerCode({ ok: true, sizeBytes: '5' }), 'invalid');
  assert.is(headerCode({ ok: true, sizeBytes: -1 }), 'invalid');
  assert.is(headerCode({ ok: true, sizeBytes: 1, detail: 'x' }), 'invalid');
  assert.is(headerCode({ ok: false, code: 'gone', detail: 'x' }), 'invalid');
  assert.is(headerCode({ ok: false, code: 'busy' }), 'invalid');
  assert.is(headerCode({ ok: 'yes', sizeBytes: 1 }), 'invalid');
  assert.is(headerCode({ ok: false, code: 'busy', detail: 'd'.repeat(MAX_DETAIL_CHARS + 1) }), 'invalid');
  assert.is(headerCode({ sizeBytes: 1 }), 'invalid');
});

test('a message larger than its bound is refused before it is parsed', () => {
  const padded = utf8.encode(`${' '.repeat(MAX_CONTENT_MESSAGE_BYTES)}{}`);
  assert.equal(decodeContentRequest(padded), { ok: false, error: { code: 'oversized', detail: `${padded.length} bytes` } });
  assert.is(decodeContentHeader(padded).ok, false);
});

test('a long detail is cut to fit, never between the halves of a surrogate pair', () => {
  for (const detail of ['x'.repeat(10_000), '\u0001'.repeat(10_000), `${'x'.repeat(MAX_DETAIL_CHARS - 1)}😀tail`]) {
    const encoded = encodeContentHeader({ ok: false, code: 'bad-request', detail });
    assert.ok(encoded.length <= MAX_CONTENT_MESSAGE_BYTES, `${encoded.length} bytes`);
    const decoded = decodeContentHeader(encoded);
    assert.ok(decoded.ok && !decoded.value.ok && detail.startsWith(decoded.value.detail) && decoded.value.detail.length <= MAX_DETAIL_CHARS);
    if (decoded.ok && !decoded.value.ok) assert.not.match(decoded.value.detail, /[\ud800-\udbff]$/);
  }
});

test.run();
