// The changed-graph error's lines grouped by the program's calls (differencesByCall): a call
// that made several streams is named once; a changed one says what changed; the checkpoint's
// streams the code no longer makes are one line. Expected lines written out by hand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { differencesByCall, fingerprintDifferences, inputSourceChanges, type GraphFingerprint } from '../../src/checkpoint/graph-fingerprint.js';

const SITES: Record<number, string> = { 3: 'window at job.ts:9:7', 4: 'count at job.ts:10:5', 5: 'count at job.ts:10:5', 6: 'count at job.ts:10:5', 7: 'reduceByKeyAndWindow at job.ts:12:3', 8: 'reduceByKeyAndWindow at job.ts:12:3' };

test('one line a call, what changed told, the checkpoint\'s streams not in the code in one line', () => {
  const lines = [
    'batch interval: checkpoint 1000 ms, code 500 ms',
    'stream 3: not in the checkpoint, code has WindowedDStream(windowMs 1000)',
    'stream 4: not in the checkpoint, code has MappedDStream()',
    'stream 5: not in the checkpoint, code has ShuffledDStream(partitions 2)',
    'stream 6: not in the checkpoint, code has MappedDStream()',
    'stream 7: checkpoint has MappedDStream(), code has MappedDStream(); from stream 6',
    'stream 8: checkpoint has ReducedWindowedDStream(windowMs 300), code has ReducedWindowedDStream(windowMs 400)',
    'stream 9: not in the checkpoint, code has FilteredDStream()',
    'stream 10: checkpoint has MappedDStream(), not in the code',
    'stream 11: checkpoint has MappedDStream(), not in the code',
    'stream 12: checkpoint has MappedDStream(), not in the code',
    'output 0: checkpoint has print(of stream 5), code has print(of stream 9)',
  ];
  assert.deepEqual(differencesByCall(lines, (id) => SITES[id]), [
    'batch interval: checkpoint 1000 ms, code 500 ms',
    'stream 3: not in the checkpoint, code has WindowedDStream(windowMs 1000), made by window at job.ts:9:7',
    'count at job.ts:10:5 makes streams 4 to 6, not in the checkpoint',
    "reduceByKeyAndWindow at job.ts:12:3 makes streams 7, 8, not as the checkpoint's (stream 7: checkpoint has MappedDStream(), code has MappedDStream(); from stream 6)",
    'stream 9: not in the checkpoint, code has FilteredDStream()',
    'streams 10 to 12 of the checkpoint: not in the code',
    'output 0: checkpoint has print(of stream 5), code has print(of stream 9)',
  ]);
  // One stream of the checkpoint not in the code keeps its line.
  assert.deepEqual(differencesByCall(['stream 4: checkpoint has MappedDStream(), not in the code'], () => 'count at job.ts:1:1'), ['stream 4: checkpoint has MappedDStream(), not in the code']);
});

test("a receiver stream's source (its name) is not the graph: no difference, an input source change instead; anything else about it still is", () => {
  const graph = (name: string, slideMs = 1000): GraphFingerprint => ({
    batchIntervalMs: 1000,
    streams: [
      { id: 0, op: 'ReceiverInputDStream', params: { name }, slideMs, parents: [], checkpointIntervalMs: null },
      { id: 1, op: 'MappedDStream', params: {}, slideMs, parents: [0], checkpointIntervalMs: null },
    ],
    outputs: [{ streamId: 1, op: 'foreachRDD', params: {} }],
  });
  const was = graph('socketTextStream(localhost:9999)');
  const now = graph('socketTextStream(localhost:9998)');
  assert.deepEqual(fingerprintDifferences(was, now), []);
  assert.deepEqual(inputSourceChanges(was, now), [{ streamId: 0, was: 'socketTextStream(localhost:9999)', now: 'socketTextStream(localhost:9998)' }]);
  assert.deepEqual(inputSourceChanges(was, graph('socketTextStream(localhost:9999)')), []);
  // A changed slide of the same receiver stream is still a difference of the graph.
  assert.deepEqual(fingerprintDifferences(was, graph('socketTextStream(localhost:9999)', 2000)).length, 2);
  // Another operator's params stay part of the graph.
  const mapped = { ...now, streams: [now.streams[0], { ...now.streams[1], op: 'FilteredDStream' }] };
  assert.deepEqual(fingerprintDifferences(was, mapped), ['stream 1: checkpoint has MappedDStream(slide 1000 ms; from stream 0), code has FilteredDStream(slide 1000 ms; from stream 0)']);
});
