import fc from 'fast-check';
import { test } from 'uvu';
import { decodeMeshHeader, decodeMeshRequest, encodeMeshHeader, encodeMeshRequest, type DecodedMeshRequest } from '../../../protocol/services/mesh-codec.js';
import { fuzz } from './mutate.js';

const CODES = ['oversized', 'malformed', 'too-deep', 'invalid'];

const request: fc.Arbitrary<DecodedMeshRequest> = fc.record({
  service: fc.constantFrom('default/web', 'prod/db-1'),
  port: fc.integer({ min: 1, max: 65535 }),
  protocol: fc.constantFrom('tcp' as const, 'udp' as const),
  workload: fc.constantFrom('Workload/default/web', 'Workload/prod/db-1'),
  slot: fc.nat(),
  epoch: fc.nat(),
});

fuzz(test, 'decodeMeshRequest', { decode: decodeMeshRequest, encode: encodeMeshRequest, codes: CODES }, request);
fuzz(
  test,
  'decodeMeshHeader',
  { decode: decodeMeshHeader, encode: encodeMeshHeader, codes: CODES },
  fc.record({ error: fc.string({ maxLength: 200 }) }, { requiredKeys: [] }),
  256,
);

test.run();
