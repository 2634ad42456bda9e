import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { metricValue } from '../../../protocol/usage/prometheus-text.js';

test('a plain sample line gives its value', () => {
  assert.is(metricValue('queue_depth 42\n', 'queue_depth'), 42);
  assert.is(metricValue('queue_depth 42', 'queue_depth'), 42, 'no final newline');
  assert.is(metricValue('queue_depth\t-3.5e2', 'queue_depth'), -350);
  assert.is(metricValue('  queue_depth   .25  ', 'queue_depth'), 0.25, 'spaces around');
  assert.is(metricValue('queue_depth 7\r\n', 'queue_depth'), 7, 'CRLF lines');
  assert.is(metricValue('other 1\nqueue_depth 2\nthird 3\n', 'queue_depth'), 2);
});

test('a line with labels gives its value, whatever the label values hold', () => {
  assert.is(metricValue('queue_depth{queue="mail"} 5', 'queue_depth'), 5);
  assert.is(metricValue('queue_depth{} 6', 'queue_depth'), 6);
  assert.is(metricValue('queue_depth{path="/a}b",le="1"} 8', 'queue_depth'), 8, 'a } inside a quoted value');
  assert.is(metricValue('queue_depth{msg="say \\"hi\\" }",x="\\\\"} 9', 'queue_depth'), 9, 'escaped quotes and backslashes');
  assert.is(metricValue('queue_depth{a="b"}10', 'queue_depth'), 10);
});

test('the samples of every label set are added up', () => {
  const page = ['queue_depth{worker="1"} 2', 'queue_depth{worker="2"} 5', 'queue_depth{worker="3",q="x}"} 0.5'].join('\n');
  assert.is(metricValue(page, 'queue_depth'), 7.5);
  assert.is(metricValue('queue_depth 1\nqueue_depth{a="b"} 2\n', 'queue_depth'), 3);
});

test('a timestamp after the value is left out of it', () => {
  assert.is(metricValue('queue_depth 4 1700000000000', 'queue_depth'), 4);
  assert.is(metricValue('queue_depth{q="a"} 4 1700000000000\nqueue_depth{q="b"} 1 1700000000001', 'queue_depth'), 5);
});

test('comments, HELP and TYPE lines and blank lines are ignored', () => {
  const page = ['# HELP queue_depth 99 jobs waiting', '# TYPE queue_depth gauge', '#queue_depth 100', '   # queue_depth 101', '', '   ', 'queue_depth 3'].join('\n');
  assert.is(metricValue(page, 'queue_depth'), 3);
  assert.is(metricValue('# HELP queue_depth x\n# TYPE queue_depth gauge\n', 'queue_depth'), undefined, 'described but no sample');
});

test('another metric whose name starts with this one is not taken for it', () => {
  const page = ['latency_bucket{le="0.1"} 10', 'latency_bucket{le="+Inf"} 12', 'latency_sum 3.5', 'latency_count 12', 'latency_seconds 99', 'latency:rate 7', 'latency 2'].join(
    '\n',
  );
  assert.is(metricValue(page, 'latency'), 2);
  assert.is(metricValue(page, 'latency_count'), 12);
  assert.is(metricValue(page, 'latency_bucket'), 22, '+Inf is a label value there');
  assert.is(metricValue('latency_bucket{le="0.1"} 10\n', 'latency'), undefined);
  assert.is(metricValue('xlatency 5\n', 'latency'), undefined, 'nor one it only ends');
});

test('a value that is not a finite number makes the metric undefined', () => {
  for (const value of ['NaN', '+Inf', '-Inf', 'abc', '0x10', '1,5', '1e999', '--1', '1e', '.', '']) {
    assert.is(metricValue(`queue_depth ${value}`, 'queue_depth'), undefined, JSON.stringify(value));
  }
  assert.is(metricValue('queue_depth 1\nqueue_depth{a="b"} NaN\n', 'queue_depth'), undefined, 'one bad sample spoils the sum');
  assert.is(metricValue('queue_depth 1 2 3', 'queue_depth'), undefined, 'more fields than value and timestamp');
  assert.is(metricValue('queue_depth{a="b" 1', 'queue_depth'), undefined, 'labels never closed');
  assert.is(metricValue('queue_depth{a="}', 'queue_depth'), undefined, 'a quote never closed');
});

test('a metric with no sample line is undefined', () => {
  assert.is(metricValue('', 'queue_depth'), undefined);
  assert.is(metricValue('other 1\nmore{a="b"} 2\n', 'queue_depth'), undefined);
  assert.is(metricValue('queue_depth', 'queue_depth'), undefined);
});

test('a sum past the largest double is undefined, never Infinity', () => {
  assert.is(metricValue('queue_depth 1e308', 'queue_depth'), 1e308);
  assert.is(metricValue('queue_depth{w="1"} 1e308\nqueue_depth{w="2"} 1e308\n', 'queue_depth'), undefined);
});

test.run();
