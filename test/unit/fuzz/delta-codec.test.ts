import { test } from 'uvu';
import { decodeDelta, encodeDelta } from '../../../crdt/index.js';
import { anyDelta } from './deltas.js';
import { fuzz } from './mutate.js';

fuzz(test, 'decodeDelta', { decode: decodeDelta, encode: encodeDelta, codes: ['oversized', 'malformed', 'too-deep', 'invalid'] }, anyDelta);

test.run();
