import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpuText, memoryText } from '../../../cli/commands/top.js';

test('CPU shows in millicores and memory in mebibytes, as kubectl top shows them', () => {
  assert.is(cpuText(250), '250m');
  assert.is(cpuText(0), '0m');
  assert.is(cpuText(2_000), '2000m');
  assert.is(memoryText(128 * 2 ** 20), '128Mi');
  assert.is(memoryText(3 * 2 ** 30), '3072Mi');
  assert.is(memoryText(700 * 1024), '1Mi');
});

test.run();
