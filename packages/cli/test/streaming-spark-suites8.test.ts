// Spark Streaming semantics on a real local cluster (a driver with a web port and 2 worker
// processes; fixture streaming-spark-suites8.ts, one job for the file). What each case expects
// is Spark's, from streaming/src/test/scala (StreamingListenerSuite) and streaming/src/main/
// scala (JobScheduler's handleJobCompletion: an output operation's failureReason is
// Utils.exceptionString(e), its stack trace text; the REST API's OutputOperationInfo and
// BatchInfo.firstFailureReason carry the same), worked out here from the errors the fixture
// throws, not from Sluice's code.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { appRest, assertCasesDone, fixture, startJob, withCluster, type RunningJob } from './harness.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-sss8-'));
const touch = (name: string): void => fs.writeFileSync(path.join(tmp, name), '');

interface OpInfo {
  batchTime: number;
  id: number;
  name: string;
  startTime: number;
  endTime: number;
  failure?: string;
}

interface Failures {
  times: number[];
  outputs: [number, number, string | null][];
  events: OpInfo[];
  batches: [number, Record<string, OpInfo> | null][];
  ended: string | null;
}

/**
 * Checks a failure text as Spark's Utils.exceptionString lays it out, with the error's message
 * as its first line(s) (Spark's first line is "<class>: <message>"; the UI writes "Failed due
 * to error: <first line>"), then the stack's frames, the function that threw among them, then
 * each cause as "Caused by: <name>: <message>".
 */
function checkFailureText(text: string, message: string, thrower: string, cause?: string): void {
  assert.ok(text.startsWith(`${message}\n`), `the failure starts with its message, then a line break: ${JSON.stringify(text)}`);
  const lines = text.slice(message.length + 1).split('\n');
  assert.match(lines[0], /^\s+at /, `a stack frame follows the message: ${JSON.stringify(text)}`);
  assert.ok(lines.some((l) => /^\s+at /.test(l) && l.includes(thrower)), `a frame names ${thrower}: ${JSON.stringify(text)}`);
  assert.ok(lines.some((l) => /^\s+at /.test(l) && l.includes('streaming-spark-suites8.ts')), `a frame points at the fixture's source: ${JSON.stringify(text)}`);
  if (cause === undefined) assert.ok(!lines.some((l) => l.startsWith('Caused by: ')), `no cause: ${JSON.stringify(text)}`);
  else assert.ok(lines.includes(`Caused by: ${cause}`), `the cause '${cause}' on a line of its own: ${JSON.stringify(text)}`);
}

test('Spark Streaming semantics, suite 8 (one job on a local cluster)', { timeout: 300_000 }, async (t) => {
  try {
    await withCluster({ workers: 2, driver: { webPort: 0 } }, async (h) => {
      const job: RunningJob = await startJob(h.cluster, fixture('streaming-spark-suites8.ts'), [tmp]);
      const rest = appRest(h.cluster, job.id);

      let failures: Failures | undefined;
      await t.test('StreamingListenerSuite "onBatchCompleted with failed batch and multiple failed jobs": each failed output operation\'s failureReason is its own error\'s message and stack (Utils.exceptionString), in the listener and the REST API', async () => {
        let o: Failures;
        try {
          o = failures = JSON.parse((await job.waitLine('X failures ', 120_000)).slice('X failures '.length)) as Failures;
          assert.equal(o.times.length, 2, JSON.stringify(o));
          const failed = o.times[1];
          const byId = (b: number): Map<number, string | null> => new Map(o.outputs.filter(([x]) => x === b).map(([, id, f]) => [id, f]));
          assert.deepEqual([...byId(o.times[0]).entries()].sort(), [[0, null], [1, null], [2, null]], 'the first batch succeeded');
          const reasons = byId(failed);
          assert.deepEqual([...reasons.keys()].sort(), [0, 1, 2], JSON.stringify(o.outputs));
          assert.equal(reasons.get(0), null, 'output 0 of the failed batch succeeded');
          const first = reasons.get(1)!;
          const second = reasons.get(2)!;
          checkFailureText(first, `This is a failed job at ${failed}`, 'failFirstOutput', 'TypeError: the first cause');
          checkFailureText(second, `This is another failed job at ${failed}`, 'failSecondOutput');
          assert.ok(!second.includes('This is a failed job'), 'the second failure is its own, not the first one\'s');

          // The REST API: each operation's failureReason is the listener's, the batch's firstFailureReason output 1's.
          const ops = await rest<{ outputOpId: number; failureReason?: string }[]>(`streaming/batches/${failed}/operations`);
          assert.deepEqual(ops.map((x) => [x.outputOpId, x.failureReason ?? null]).sort((a, b) => Number(a[0]) - Number(b[0])), [[0, null], [1, first], [2, second]]);
          const one = await rest<{ outputOpId: number; failureReason?: string }>(`streaming/batches/${failed}/operations/2`);
          assert.equal(one.failureReason, second);
          const batch = await rest<{ firstFailureReason?: string; numFailedOutputOps: number }>(`streaming/batches/${failed}`);
          assert.equal(batch.firstFailureReason, first);
          assert.equal(batch.numFailedOutputOps, 2);
          const good = await rest<{ firstFailureReason?: string }>(`streaming/batches/${o.times[0]}`);
          assert.equal(good.firstFailureReason, undefined, 'a batch that succeeded has no failure reason');
        } finally {
          touch('failures.done');
        }
        // awaitTermination rethrows the first failure (its message names it).
        assert.match(String(o.ended), /This is a failed job/);
      });

      await t.test('StreamingListenerSuite "batch info reporting", "output operation reporting": onBatchCompleted\'s BatchInfo carries outputOperationInfos, each output operation that ran by its id, as onOutputOperationCompleted heard it, failed ones with their failureReason', () => {
        const o = failures!;
        assert.deepEqual(o.batches.map(([b]) => b), o.times, 'onBatchCompleted for each batch, the failed one too');
        for (const [b, maybe] of o.batches) {
          assert.ok(maybe !== null, `batch ${b}'s BatchInfo has outputOperationInfos`);
          const infos = maybe;
          assert.deepEqual(Object.keys(infos).sort(), ['0', '1', '2'], `batch ${b}`);
          for (const [id, info] of Object.entries(infos)) {
            assert.equal(info.batchTime, b);
            assert.equal(info.id, Number(id));
            assert.match(info.name, /^foreachRDD at \S+:\d+:\d+$/, 'Spark\'s name: the call site\'s short form');
            assert.ok(info.startTime <= info.endTime, JSON.stringify(info));
            // The very event onOutputOperationCompleted heard for it (Spark's one OutputOperationInfo).
            assert.deepEqual(info, o.events.find((e) => e.batchTime === b && e.id === Number(id)), `batch ${b} output ${id}`);
            const failed = b === o.times[1] && id !== '0';
            assert.equal(info.failure !== undefined, failed, `batch ${b} output ${id}: ${JSON.stringify(info)}`);
          }
          // Spark runs a batch's output operations one after the other, in id order.
          assert.ok(infos[0].endTime <= infos[1].startTime && infos[1].endTime <= infos[2].startTime, JSON.stringify(infos));
        }
        assert.match(o.batches[1][1]?.[1].failure ?? '', /^This is a failed job at /);
        assert.match(o.batches[1][1]?.[2].failure ?? '', /^This is another failed job at /);
      });

      const r = await job.done;
      assertCasesDone(r);
    });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
