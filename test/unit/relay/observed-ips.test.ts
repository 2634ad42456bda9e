import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ObservedIps } from '../../../protocol/relay/observed-ips.js';

test('nothing observed: no IP to offer', () => {
  assert.equal(new ObservedIps().best(2), []);
});

test('the IP most peers name comes first; one peer that lies is outvoted', () => {
  const observed = new ObservedIps();
  observed.observe('honest-1', '203.0.113.11');
  observed.observe('honest-2', '203.0.113.11');
  observed.observe('liar', '198.51.100.66');
  assert.equal(observed.best(1), ['203.0.113.11']);
  assert.equal(observed.best(2), ['203.0.113.11', '198.51.100.66']);
});

test('a peer has one word: the newest replaces its older one, so saying it again gains no vote', () => {
  const observed = new ObservedIps();
  observed.observe('honest', '203.0.113.11');
  for (let i = 0; i < 10; i++) observed.observe('liar', '198.51.100.66');
  observed.observe('liar', '198.51.100.67');
  assert.equal(observed.best(3), ['198.51.100.67', '203.0.113.11'], 'a tie goes to the newest; the liar`s first word is gone');
});

test('the words kept are bounded: the oldest peer`s goes first', () => {
  const observed = new ObservedIps(3);
  observed.observe('a', '203.0.113.1');
  observed.observe('b', '203.0.113.2');
  observed.observe('c', '203.0.113.3');
  observed.observe('d', '203.0.113.4');
  assert.equal(observed.best(4).sort(), ['203.0.113.2', '203.0.113.3', '203.0.113.4']);
});

test.run();
