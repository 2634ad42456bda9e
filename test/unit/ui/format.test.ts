import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { abbreviate, capacityMemoryText, clockText, coresText, cpuText, labelsText, memoryText, shortId, stateClass, stateTone } from '../../../ui/format.js';

test('an id is shown by its last 8 characters, a short one whole', () => {
  assert.is(shortId('12D3KooWQJ8rYpGmV5nW4xZ1aBcDeFgH'), 'aBcDeFgH');
  assert.is(shortId('abc'), 'abc');
  assert.is(shortId('12345678'), '12345678');
});

test('CPU in use is in millicores below one core, in cores from one up', () => {
  assert.is(cpuText(0), '0m');
  assert.is(cpuText(250.4), '250m');
  assert.is(cpuText(999.4), '999m');
  assert.is(cpuText(999.6), '1 core');
  assert.is(cpuText(1500), '1.5 cores');
  assert.is(cpuText(2345), '2.35 cores');
});

test("a node's capacity is in cores and gibibytes, without trailing zeros", () => {
  assert.is(coresText(4000), '4 cores');
  assert.is(coresText(500), '0.5 cores');
  assert.is(coresText(1000), '1 core');
  assert.is(capacityMemoryText(8 * 2 ** 30), '8Gi');
  assert.is(capacityMemoryText(7.63 * 2 ** 30), '7.6Gi');
});

test('memory in use is in whole mebibytes, as shoal top shows it', () => {
  assert.is(memoryText(0), '0Mi');
  assert.is(memoryText(128 * 2 ** 20), '128Mi');
  assert.is(memoryText(1.6 * 2 ** 20), '2Mi');
});

test('a time is the time of day in the browser zone, to the second', () => {
  assert.is(clockText(new Date(2025, 0, 2, 3, 4, 5, 678).getTime()), '03:04:05');
  assert.is(clockText(new Date(2025, 0, 2, 23, 59, 59).getTime()), '23:59:59');
});

test('labels are listed sorted by key, none as an empty text', () => {
  assert.is(labelsText({ zone: 'a', disk: 'ssd' }), 'disk=ssd, zone=a');
  assert.is(labelsText({}), '');
});

test('a long revision is cut with a mark, a short one is left whole', () => {
  assert.is(abbreviate('abcdef0123456789'), 'abcdef012345…');
  assert.is(abbreviate('abc'), 'abc');
  assert.is(abbreviate('abcdef', 3), 'abc…');
});

test("a node's and a slot's states are coloured by what they mean, an unknown one not at all", () => {
  assert.equal(['alive', 'suspect', 'dead', 'left'].map(stateTone), ['good', 'warn', 'bad', 'idle']);
  assert.equal(['running', 'pending', 'scheduling', 'waiting (capacity)', 'unschedulable', 'not running', 'exited', 'completed'].map(stateTone), [
    'good',
    'warn',
    'warn',
    'warn',
    'bad',
    'bad',
    'bad',
    'idle',
  ]);
  assert.is(stateTone('constructor'), 'other');
  assert.is(stateClass('alive'), 'state tone-good');
});

test.run();
