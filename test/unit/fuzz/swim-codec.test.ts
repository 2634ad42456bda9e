import { test } from 'uvu';
import { decode, encode, swimConfig } from '../../../protocol/swim/index.js';
import { swimMessage as message } from '../../property/swim-messages.js';
import { fuzz } from './mutate.js';

const limits = swimConfig.lan();

fuzz(test, 'SWIM decode', { decode: (bytes) => decode(bytes, limits), encode, codes: ['oversized', 'malformed', 'too-deep', 'version', 'invalid'] }, message);

test.run();
