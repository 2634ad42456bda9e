import fc from 'fast-check';
import { test } from 'uvu';
import {
  CONTENT_KINDS,
  CONTENT_REFUSALS,
  type ContentHeader,
  type ContentRequest,
  decodeContentHeader,
  decodeContentRequest,
  encodeContentHeader,
  encodeContentRequest,
  MAX_CONTENT_MESSAGE_BYTES,
  MAX_DETAIL_CHARS,
} from '../../protocol/images/transfer-codec.js';
import { fuzz } from '../unit/fuzz/mutate.js';

const CODES = ['oversized', 'malformed', 'too-deep', 'invalid'];

const id = fc.oneof(
  fc.constant(`sha256:${'d'.repeat(64)}`),
  fc.stringMatching(/^[0-9a-f]{64}$/).map((hex) => `sha256:${hex}`),
);
const request: fc.Arbitrary<ContentRequest> = fc.record({
  kind: fc.constantFrom(...CONTENT_KINDS),
  id,
  offset: fc.oneof(fc.nat(), fc.maxSafeNat()),
});
const header: fc.Arbitrary<ContentHeader> = fc.oneof(
  fc.record({ ok: fc.constant(true as const), sizeBytes: fc.oneof(fc.nat(), fc.maxSafeNat()) }),
  fc.record({ ok: fc.constant(true as const) }),
  fc.record({ ok: fc.constant(false as const), code: fc.constantFrom(...CONTENT_REFUSALS), detail: fc.string({ maxLength: MAX_DETAIL_CHARS }) }),
);

fuzz(test, 'decodeContentRequest', { decode: decodeContentRequest, encode: encodeContentRequest, codes: CODES }, request, MAX_CONTENT_MESSAGE_BYTES + 64);
fuzz(test, 'decodeContentHeader', { decode: decodeContentHeader, encode: encodeContentHeader, codes: CODES }, header, MAX_CONTENT_MESSAGE_BYTES + 64);

test.run();
