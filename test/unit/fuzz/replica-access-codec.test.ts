import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_FRAME_BYTES } from '../../../base/limits.js';
import {
  decodeExecOutput,
  decodeReplicaHeader,
  decodeReplicaRequest,
  encodeExecOutput,
  encodeReplicaHeader,
  encodeReplicaRequest,
  type ReplicaRequest,
} from '../../../protocol/replica-access-codec.js';
import { fuzz } from './mutate.js';

const CODES = ['oversized', 'malformed', 'too-deep', 'invalid'];
/** An operator's request as a node forwards it: the signature's shape only (the node that runs the replica checks it). */
const signed = fc.record(
  {
    method: fc.constantFrom('POST', 'GET'),
    url: fc.constantFrom('http://127.0.0.1:7080/v1/workloads/default/web/exec', 'http://[::1]:1/v1/workloads/prod/db-1/logs?slot=2&follow=true'),
    headers: fc.record(
      { signature: fc.string({ maxLength: 100 }), 'signature-input': fc.string({ maxLength: 200 }), 'content-digest': fc.string({ maxLength: 60 }) },
      { requiredKeys: ['signature', 'signature-input'] },
    ),
    body: fc.json({ maxDepth: 2 }),
  },
  { requiredKeys: ['method', 'url', 'headers'] },
);

const request: fc.Arbitrary<ReplicaRequest> = fc.record({ op: fc.constantFrom('logs' as const, 'exec' as const), request: signed });

fuzz(test, 'decodeReplicaRequest', { decode: decodeReplicaRequest, encode: encodeReplicaRequest, codes: CODES }, request);
fuzz(
  test,
  'decodeReplicaHeader',
  { decode: decodeReplicaHeader, encode: encodeReplicaHeader, codes: CODES },
  fc.record({ error: fc.string({ maxLength: 200 }) }, { requiredKeys: [] }),
  256,
);
fuzz(
  test,
  'decodeExecOutput',
  { decode: decodeExecOutput, encode: encodeExecOutput, codes: CODES },
  fc.record({ exitCode: fc.integer({ min: -1, max: 255 }), stdout: fc.string(), stderr: fc.string() }),
);

test('an exec result larger than a frame keeps the end of its output and fits', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 * MAX_FRAME_BYTES }), fc.integer({ min: 0, max: 2 * MAX_FRAME_BYTES }), fc.constantFrom('x', '\u0001', 'é'), (out, err, char) => {
      const result = { exitCode: 1, stdout: `${char.repeat(out)}END`, stderr: char.repeat(err) };
      const bytes = encodeExecOutput(result);
      assert.ok(bytes.length <= MAX_FRAME_BYTES);
      const decoded = decodeExecOutput(bytes);
      assert.ok(decoded.ok && decoded.value.stdout.endsWith('END') && result.stderr.endsWith(decoded.value.stderr));
    }),
    { numRuns: 30 },
  );
});

test('an error longer than an asker takes is cut, not refused', () => {
  assert.ok(decodeReplicaHeader(encodeReplicaHeader({ error: 'e'.repeat(100_000) })).ok);
});

test.run();
