// Spark (Streaming) semantics on a real local cluster (a driver with a web port and 2 worker
// processes; fixture streaming-spark-suites9.ts, one job for the file). What each case expects
// is Spark's, worked out here from Spark's sources, not from Sluice's code:
// - DStream.print(num: Int) (DStream.scala): take(num + 1), the first num printed, '...' when
//   more came (so print(0) and print(-1) print the header and '...' for any non-empty batch);
//   a count that is not a whole number is refused at the call here, naming print and the value
//   (in Spark it does not compile);
// - a partition count is checked where the program gives it (Spark's HashPartitioner: "Number of
//   partitions (-1) cannot be negative"), the message naming the call the program made;
// - OutputOperationInfo (streaming/scheduler/OutputOperationInfo.scala): description, the call
//   site's long form; duration = endTime - startTime; the REST API's OutputOperationInfo
//   (status/api/v1/streaming/api.scala) carries both.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { appRest, assertCasesDone, fixture, startJob, withCluster, type RunningJob } from './harness.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-sss9-'));
const FIXTURE = fixture('streaming-spark-suites9.ts');
const SOURCE = fs.readFileSync(FIXTURE, 'utf8').split('\n');
/** The fixture's 1-based line whose text includes `marker`. */
const lineOf = (marker: string): number => {
  const i = SOURCE.findIndex((l) => l.includes(marker));
  assert.ok(i >= 0, marker);
  return i + 1;
};

type Outcome = { code: string | null; error: string } | { value: unknown };
interface OpInfo {
  batchTime: number;
  id: number;
  name: string;
  description: string;
  startTime: number;
  endTime?: number;
  duration?: number;
}

/** A refusal: SLUICE_BAD_ARGUMENT with exactly this message. */
function refused(o: Outcome | undefined, message: string, what: string): void {
  assert.ok(o !== undefined && 'error' in o, `${what} was accepted: ${JSON.stringify(o)}`);
  assert.equal(o.code, 'SLUICE_BAD_ARGUMENT', `${what}: ${o.error}`);
  assert.equal(o.error, message, what);
}

test('Spark (Streaming) semantics, suite 9 (one job on a local cluster)', { timeout: 300_000 }, async (t) => {
  try {
    await withCluster({ workers: 2, driver: { webPort: 0 } }, async (h) => {
      const job: RunningJob = await startJob(h.cluster, FIXTURE, [tmp]);
      const rest = appRest(h.cluster, job.id);

      await t.test('DStream.print(num) takes a whole number (Spark\'s Int): 2.5, NaN, \'3\' and Infinity are refused at the call, naming print and the value, not at every batch', async () => {
        const o = JSON.parse((await job.waitLine('X bad-counts ', 120_000)).slice('X bad-counts '.length)) as Record<string, Record<string, Outcome>>;
        const msg = (v: string): string => `dstream.print: num, the number of elements to print, must be a whole number, got ${v}`;
        refused(o.print['2.5'], msg('2.5'), 'print(2.5)');
        refused(o.print.NaN, msg('NaN'), 'print(NaN)');
        refused(o.print["'3'"], msg('string "3"'), "print('3')");
        refused(o.print.Infinity, msg('Infinity'), 'print(Infinity)');
      });

      await t.test('A bad partition count is refused naming the call the program made (distinct, subtract, reduceByKey, HashPartitioner.of, new HashPartitioner, RangePartitioner.of, CustomPartitioner.of, and DStream\'s reduceByKey, groupByKey, repartition, reduceByKeyAndWindow) and the value; so is treeReduce\'s depth', async () => {
        const o = JSON.parse((await job.waitLine('X bad-counts ', 120_000)).slice('X bad-counts '.length)) as Record<string, Record<string, Outcome>>;
        const positive = (op: string, v: string): string => `${op}: numPartitions must be a positive integer, got ${v}`;
        refused(o.rdd['distinct(0)'], positive('rdd.distinct', '0'), 'distinct(0)');
        refused(o.rdd['distinct(2.5)'], positive('rdd.distinct', '2.5'), 'distinct(2.5)');
        refused(o.rdd['subtract(other, 0)'], positive('rdd.subtract', '0'), 'subtract(other, 0)');
        refused(o.rdd['reduceByKey(f, -1)'], positive('rdd.reduceByKey', '-1'), 'reduceByKey(f, -1)');
        // The partitioner is made (and refused) before partitionBy is called: HashPartitioner.of is the call to fix.
        refused(o.rdd['partitionBy(HashPartitioner.of(0))'], positive('HashPartitioner.of', '0'), 'partitionBy(HashPartitioner.of(0))');
        // Spark's treeReduce checks its own depth ("Depth must be greater than or equal to 1 but got 0."), quoted after Sluice's words.
        refused(o.rdd['treeReduce(f, 0)'], 'rdd.treeReduce: depth must be a whole number >= 1, got 0 (Spark: "Depth must be greater than or equal to 1 but got 0.")', 'treeReduce(f, 0)');
        refused(o.partitioners['HashPartitioner.of(-1)'], positive('HashPartitioner.of', '-1'), 'HashPartitioner.of(-1)');
        refused(o.partitioners['new HashPartitioner(1.5)'], positive('new HashPartitioner', '1.5'), 'new HashPartitioner(1.5)');
        refused(o.partitioners['RangePartitioner.of(0)'], positive('RangePartitioner.of', '0'), 'RangePartitioner.of(0)');
        refused(o.partitioners['CustomPartitioner.of(NaN)'], positive('CustomPartitioner.of', 'NaN'), 'CustomPartitioner.of(NaN)');
        refused(o.dstream['reduceByKey(f, 0)'], positive('dstream.reduceByKey', '0'), 'dstream.reduceByKey(f, 0)');
        refused(o.dstream['groupByKey(-2)'], positive('dstream.groupByKey', '-2'), 'dstream.groupByKey(-2)');
        const rep = o.dstream['repartition(2.5)'];
        assert.ok(rep && 'error' in rep && rep.code === 'SLUICE_BAD_ARGUMENT' && rep.error.startsWith(positive('dstream.repartition', '2.5')), JSON.stringify(rep));
        refused(o.dstream['reduceByKeyAndWindow(f, 2000, 1000, 0)'], positive('dstream.reduceByKeyAndWindow', '0'), 'dstream.reduceByKeyAndWindow(f, 2000, 1000, 0)');
      });

      await t.test('DStream.print(2), print(0), print(-1) of a batch [1, 2, 3] as Spark\'s print: the first num records, then \'...\' when take(num + 1) gave more than num', async () => {
        await job.waitLine('PRINT-END', 120_000);
        const lines = job.lines.slice(job.lines.indexOf('PRINT-BEGIN') + 1, job.lines.indexOf('PRINT-END'));
        const dashes = '-'.repeat(43);
        const head = [dashes, 'Time: 1000 ms', dashes];
        // take(3) = [1, 2, 3]: 1, 2 and '...'; take(1) = [1]: none and '...' (1 > 0); take(0) = []: none and '...' (0 > -1).
        assert.deepEqual(lines, [...head, '1', '2', '...', '', ...head, '...', '', ...head, '...', ''], lines.join('\n'));
      });

      await t.test('OutputOperationInfo carries description (where the program registered the output: its call site, then the stack) and, once completed, duration = endTime - startTime; the REST API\'s outputOperations the same', async () => {
        const o = JSON.parse((await job.waitLine('X outputs ', 120_000)).slice('X outputs '.length)) as { batchTime: number; total: number; started: OpInfo[]; completed: OpInfo[] };
        try {
          assert.equal(o.total, 3);
          assert.deepEqual(o.completed.map((x) => x.id), [0, 1, 2, 3]);
          const sites: Record<number, number> = { 0: lineOf('input.print(2);'), 1: lineOf('input.print(0);'), 2: lineOf('input.print(-1);'), 3: lineOf('// OUTPUT-SITE') };
          // name: Spark's call site short form, the operation at the program's call (since 2026-12-05).
          const at = (op: string, id: number): RegExp => new RegExp(`^${op} at \\S*streaming-spark-suites9\\.ts:${sites[id]}:\\d+$`);
          assert.deepEqual(o.started.map((x) => x.id), [0, 1, 2, 3]);
          for (const x of [...o.started, ...o.completed]) assert.match(x.name, at(x.id === 3 ? 'foreachRDD' : 'print', x.id), JSON.stringify(x));
          for (const c of o.completed) {
            const s = o.started.find((x) => x.id === c.id)!;
            assert.equal(c.description, s.description, `output ${c.id}: one description, started and completed`);
            const first = c.description.split('\n')[0];
            assert.match(first, new RegExp(`streaming-spark-suites9\\.ts:${sites[c.id]}:\\d+\\)?$`), `output ${c.id}'s description starts at its call (line ${sites[c.id]}): ${c.description}`);
            assert.ok(c.description.split('\n').length >= 2, `output ${c.id}: the stack goes on past the call: ${c.description}`);
            assert.equal(c.duration, c.endTime! - c.startTime, `output ${c.id}: ${JSON.stringify(c)}`);
          }
          // The manual clock moves only in the foreachRDD output, by 250 ms: its duration, the prints' 0.
          assert.deepEqual(o.completed.map((x) => x.duration), [0, 0, 0, 250]);
          type RestOp = { outputOpId: number; name: string; description: string; duration: number; startTime: string; endTime: string };
          const ops = (await rest<RestOp[]>(`streaming/batches/${o.batchTime}/operations`)).sort((a, b) => a.outputOpId - b.outputOpId);
          assert.deepEqual(ops.map((x) => [x.outputOpId, x.description, x.duration]), o.completed.map((c) => [c.id, c.description, c.duration]));
          const one = await rest<RestOp>(`streaming/batches/${o.batchTime}/operations/3`);
          assert.equal(one.description, o.completed[3].description);
          assert.equal(one.duration, 250);
        } finally {
          fs.writeFileSync(path.join(tmp, 'outputs.done'), '');
        }
      });

      const r = await job.done;
      assertCasesDone(r);
    });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
