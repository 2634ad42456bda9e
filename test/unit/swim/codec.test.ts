import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodedBytes } from '../../../protocol/swim/codec.js';
import { decode, encode, swimConfig, type SwimMessage } from '../../../protocol/swim/index.js';
import { alive, aliveEntry, left, record } from './harness.js';

const limits = swimConfig.lan();
const utf8 = new TextEncoder();

const samples: SwimMessage[] = [
  { type: 'ping', seq: 1, target: 'b', updates: [alive(2, { ...record('b'), labels: { zone: 'eu-1', gpu: 'ünïcode' } })] },
  { type: 'ack', seq: 2, updates: [{ kind: 'suspect', incarnation: 3, id: 'c', from: 'a' }] },
  { type: 'ping-req', seq: 3, target: 'c', updates: [{ kind: 'dead', incarnation: 1, id: 'd', from: 'a' }] },
  { type: 'nack', seq: 4, updates: [left('e', 9)] },
  { type: 'gossip', updates: [] },
  { type: 'sync', reply: true, members: [{ member: record('f'), incarnation: 5, state: 'suspect' }, aliveEntry(record('g'), 2)] },
  { type: 'ack', seq: 5, updates: [], lagMs: 1_250 },
  { type: 'sync', reply: false, members: [], lagMs: 90 },
];

test('every message type survives encode and decode unchanged', () => {
  for (const message of samples) {
    const decoded = decode(encode(message), limits);
    assert.ok(decoded.ok, JSON.stringify(decoded));
    if (decoded.ok) assert.equal(decoded.value, message);
  }
});

const rejects = (bytes: Uint8Array, code: string): void => {
  const decoded = decode(bytes, limits);
  assert.is(decoded.ok, false);
  if (!decoded.ok) assert.is(decoded.error.code, code);
};

test('the counted size of a message is its encoded size', () => {
  for (const message of samples) assert.is(encodedBytes(message), encode(message).length, message.type);
  const sync: SwimMessage = { type: 'sync', reply: false, members: [] };
  assert.is(encodedBytes(sync), encode(sync).length);
});

test("a sender's lag is a key of its own, present only when it runs late, that older nodes ignore", () => {
  assert.not.match(new TextDecoder().decode(encode({ type: 'gossip', updates: [] })), /"l"/);
  assert.match(new TextDecoder().decode(encode({ type: 'gossip', updates: [], lagMs: 300 })), /^\{"v":2,"t":"gossip","u":\[\],"l":300\}$/);
  rejects(utf8.encode('{"v":2,"t":"gossip","u":[],"l":-5}'), 'invalid');
  rejects(utf8.encode('{"v":2,"t":"gossip","u":[],"l":1.5}'), 'invalid');
  rejects(utf8.encode('{"v":2,"t":"gossip","u":[],"l":86400001}'), 'invalid');
});

test('malformed bytes are an error value, never an exception', () => {
  rejects(new Uint8Array([0xff, 0xfe, 0x00]), 'malformed');
  rejects(utf8.encode('{"v":2,"t":"ping"'), 'malformed');
  rejects(utf8.encode('[1,2]'), 'malformed');
});

test('a wrong version is refused by name: a node from before signed members (1) as well', () => {
  rejects(utf8.encode('{"v":3,"t":"gossip","u":[]}'), 'version');
  rejects(utf8.encode('{"v":1,"t":"gossip","u":[]}'), 'version');
});

test('an oversized message is refused before it is parsed', () => {
  const big = utf8.encode(`{"v":2,"t":"gossip","u":[],"pad":"${'x'.repeat(limits.maxMessageBytes)}"}`);
  rejects(big, 'oversized');
  rejects(new Uint8Array(limits.maxSyncBytes + 1), 'oversized');
});

test('fields that are the wrong type, negative, too long or unknown are refused', () => {
  rejects(utf8.encode('{"v":2,"t":"ping","s":-1,"g":"b","u":[]}'), 'invalid');
  rejects(utf8.encode('{"v":2,"t":"ping","s":1,"g":"","u":[]}'), 'invalid');
  rejects(utf8.encode('{"v":2,"t":"shout","u":[]}'), 'invalid');
  rejects(utf8.encode('{"v":2,"t":"gossip","u":[["x",1,"b"]]}'), 'invalid');
  rejects(utf8.encode(`{"v":2,"t":"gossip","u":[["l",1,"${'b'.repeat(200)}"]]}`), 'invalid');
  rejects(utf8.encode('{"v":2,"t":"gossip","u":[["a",1,{"i":"b","a":[],"l":{},"c":[1],"v":"1"}]]}'), 'invalid');
  rejects(utf8.encode('{"v":2,"t":"gossip","u":[["l",4294967296,"b"]]}'), 'invalid');
  rejects(utf8.encode('{"v":2,"t":"gossip","u":[["a",1,{"i":"b","a":[],"l":{"__proto__":"x"},"c":[1,1],"v":"1"}]]}'), 'invalid');
  rejects(utf8.encode('{"v":2,"t":"sync","r":true,"m":[[7,1,{"i":"b","a":[],"l":{},"c":[1,1],"v":"1"}]]}'), 'invalid');
});

test("what only a member may say comes with a signature: alive and left without one are refused, an accusation's is optional", () => {
  const rec = '{"i":"b","a":[],"l":{},"c":[1,1],"v":"1"}';
  rejects(utf8.encode(`{"v":2,"t":"gossip","u":[["a",1,${rec}]]}`), 'invalid');
  rejects(utf8.encode('{"v":2,"t":"gossip","u":[["l",1,"b"]]}'), 'invalid');
  rejects(utf8.encode(`{"v":2,"t":"gossip","u":[["a",1,${rec},7]]}`), 'invalid');
  rejects(utf8.encode(`{"v":2,"t":"gossip","u":[["a",1,${rec},"${'f'.repeat(257)}"]]}`), 'invalid');
  rejects(utf8.encode(`{"v":2,"t":"sync","r":true,"m":[[0,1,${rec}]]}`), 'invalid');
  rejects(utf8.encode(`{"v":2,"t":"sync","r":true,"m":[[3,1,${rec}]]}`), 'invalid');
  const accusation = decode(utf8.encode(`{"v":2,"t":"sync","r":true,"m":[[2,1,${rec}],[1,1,${rec},"ab"]]}`), limits);
  assert.ok(accusation.ok && accusation.value.type === 'sync');
  if (accusation.ok && accusation.value.type === 'sync')
    assert.equal(
      accusation.value.members.map((m) => m.signature),
      [undefined, 'ab'],
    );
});

test.run();
