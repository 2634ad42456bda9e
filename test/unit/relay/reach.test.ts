import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { reachOf } from '../../../protocol/relay/reach.js';

const direct = { direct: true, punched: false };
const relayed = { direct: false, punched: false };
const punched = { direct: true, punched: true };

test('no open connection: no reach', () => {
  assert.is(reachOf([]), undefined);
});

test('a direct connection wins over a relayed one; one made by a hole punch says so', () => {
  assert.is(reachOf([relayed]), 'relayed');
  assert.is(reachOf([relayed, direct]), 'direct');
  assert.is(reachOf([relayed, punched]), 'hole-punched');
  assert.is(reachOf([punched, direct]), 'direct', 'a plain direct connection beside a punched one: direct');
});

test.run();
