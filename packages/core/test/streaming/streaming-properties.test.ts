// streamingProperties: a StreamingContext's settings under Spark's spark.streaming.* keys, as the
// driver's Environment page lists them; the defaults are Spark's (its configuration guide: block
// interval 200ms, concurrentJobs 1, backpressure off, PID proportional 1.0, integral 0.2, derived
// 0.0, minRate 100, write-ahead log off, its rolling interval 60 s).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { streamingProperties } from '../../src/streaming/streaming-properties.js';

test("a context made with no options: Spark's defaults, no receiver max rate (no bound), no PID", () => {
  assert.deepEqual(streamingProperties({ blockIntervalMs: 200, concurrentJobs: 1, backpressure: undefined, receiverMaxRate: undefined, wal: undefined }), [
    ['spark.streaming.backpressure.enabled', 'false'],
    ['spark.streaming.blockInterval', '200ms'],
    ['spark.streaming.concurrentJobs', '1'],
    ['spark.streaming.receiver.writeAheadLog.enable', 'false'],
  ]);
});

test('backpressure on with some PID settings given: the others at their defaults; max rate and write-ahead log as set', () => {
  const props = new Map(
    streamingProperties({ blockIntervalMs: 50, concurrentJobs: 2, backpressure: { initialRate: 500, pid: { minRate: 20, integral: undefined } }, receiverMaxRate: 1000, wal: { rollingIntervalMs: 30_000 } }),
  );
  assert.deepEqual(Object.fromEntries(props), {
    'spark.streaming.backpressure.enabled': 'true',
    'spark.streaming.backpressure.initialRate': '500',
    'spark.streaming.backpressure.pid.derived': '0',
    'spark.streaming.backpressure.pid.integral': '0.2',
    'spark.streaming.backpressure.pid.minRate': '20',
    'spark.streaming.backpressure.pid.proportional': '1',
    'spark.streaming.blockInterval': '50ms',
    'spark.streaming.concurrentJobs': '2',
    'spark.streaming.receiver.maxRate': '1000',
    'spark.streaming.receiver.writeAheadLog.enable': 'true',
    'spark.streaming.receiver.writeAheadLog.rollingIntervalSecs': '30',
  });
  assert.deepEqual([...props.keys()], [...props.keys()].sort(), 'sorted by key');
});
