// Spark semantics on a real local cluster (a driver with a web port and 2 worker processes,
// started once for the file), and `sluice run` where a driver option is the point. What each
// case expects is Spark's, worked out here from Spark's sources, not from Sluice's code:
// - spark.speculation defaults to false (core/.../internal/config/package.scala: SPECULATION_ENABLED
//   createWithDefault(false)); turned on, a straggler gets a copy (TaskSetManager.checkSpeculatableTasks)
//   and the listener's TaskInfo.speculative marks it.
// - ReceiverInfo (streaming/scheduler/ReceiverInfo.scala; REST status/api/v1/streaming/api.scala):
//   lastErrorMessage the message the receiver gave reportError / restart, lastError the stack
//   trace of the throwable it gave (ReceiverSupervisorImpl: Throwables.getStackTraceAsString,
//   "" when none), on the listener's onReceiverError and the REST API's receivers alike.
//   Sluice's message also carries the error's own message after ': ', as it always has.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { appRest, fixture, jsonLine, jsonLines, lineOf, pollUntil, runCli, startJob, withCluster } from './harness.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-sss10-'));
const SPECULATION = fixture('speculation-probe.ts');
const LAST_ERROR = fixture('receiver-last-error.ts');

interface ReceiverJson {
  streamId: number;
  lastErrorMessage?: string;
  lastError?: string;
  lastErrorTime?: string;
}

interface Spec {
  values: number[];
  attempts: number;
  speculativeSucceeded: number;
}

/** A fresh directory under the file's scratch root. */
function dir(name: string): string {
  const d = path.join(tmp, name);
  fs.mkdirSync(d);
  return d;
}

test('Spark semantics, suite 10 (one cluster for the file)', { timeout: 300_000 }, async (t) => {
  try {
    await withCluster({ workers: 2, driver: { webPort: 0 } }, async (h) => {
      await t.test("speculation is off by default (spark.speculation=false): a straggler gets no copy; `sluice run --speculation` turns it on and the copy's task end is speculative", async () => {
        const expected = [0, 1, 2, 3].map((x) => x * 10);
        // The default driver: partition 0's first attempt waits 5 s for a copy, 5x the 1 s
        // minimum run time and far past 1.5x the median of the others (milliseconds).
        const off = dir('off');
        const offRun = startJob(h.cluster, SPECULATION, [off, '5000']).then((j) => j.done);
        // Turned on (a driver of its own): the first attempt waits for its copy (bounded 120 s).
        const on = dir('on');
        const onRun = runCli(['run', '--speculation', '--speculation-min-runtime', '500ms', SPECULATION, on, '120000'], { timeoutMs: 240_000 });
        const [o, r] = await Promise.all([offRun, onRun]);
        assert.ok(o.ok, String(o.failure));
        assert.deepEqual(jsonLine<Spec>(o.lines, 'SPEC '), { values: expected, attempts: 1, speculativeSucceeded: 0 });
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(jsonLine<Spec>(r.stdout.split('\n'), 'SPEC '), { values: expected, attempts: 2, speculativeSucceeded: 1 });
      });

      await t.test("a receiver's lastError is the stack of the error it gave reportError / restart (\"\" without one), lastErrorMessage its message: REST /streaming/receivers and the listener's onReceiverError", async () => {
        const d = dir('receiver');
        const job = await startJob(h.cluster, LAST_ERROR, [d]);
        const rest = appRest(h.cluster, job.id);
        /** The receiver as REST shows it once its lastErrorMessage is `message`. */
        const receiverWith = (message: string): Promise<ReceiverJson> =>
          pollUntil(async () => {
            if (job.ended) throw new Error(`the job ended:\n${job.lines.join('\n')}`);
            // Until the program's StreamingContext started, the job is not a streaming one (404).
            if (h.cluster.driver.jobs.get(job.id)?.streaming !== true) return undefined;
            const [r] = await rest<ReceiverJson[]>('streaming/receivers');
            return r?.lastErrorMessage === message ? r : undefined;
          }, 120_000, `the receiver's lastErrorMessage '${message}'`);
        const fixtureFrame = (fn: string, marker: string): RegExp => new RegExp(`\\n\\s+at ${fn} \\(\\S*receiver-last-error\\.ts:${lineOf(LAST_ERROR, marker)}:\\d+\\)`);
        const reported = await receiverWith('probe: reported: disk on fire');
        assert.match(reported.lastError ?? '', /^Error: disk on fire\n/, reported.lastError);
        assert.match(reported.lastError ?? '', fixtureFrame('reportFromReceiver', 'REPORT-SITE'), reported.lastError);
        assert.ok(reported.lastErrorTime, 'lastErrorTime');
        fs.writeFileSync(path.join(d, 'reported.seen'), '');
        const restarted = await receiverWith('probe: restarting: socket gone');
        assert.match(restarted.lastError ?? '', /^TypeError: socket gone\n/, restarted.lastError);
        assert.match(restarted.lastError ?? '', fixtureFrame('restartFromReceiver', 'RESTART-SITE'), restarted.lastError);
        fs.writeFileSync(path.join(d, 'restarted.seen'), '');
        const bare = await receiverWith('probe: no error given');
        assert.equal(bare.lastError, '');
        fs.writeFileSync(path.join(d, 'bare.seen'), '');
        const run = await job.done;
        assert.ok(run.ok, String(run.failure));
        assert.equal(run.lines.at(-1), 'DONE');
        // The listener got the same three, in order, with the same strings as REST.
        const heard = jsonLines<{ lastErrorMessage: string; lastError: string; message: string }>(run.lines, 'L ');
        assert.deepEqual(
          heard.map((l) => [l.lastErrorMessage, l.message]),
          ['probe: reported: disk on fire', 'probe: restarting: socket gone', 'probe: no error given'].map((m) => [m, m]),
        );
        assert.deepEqual(heard.map((l) => l.lastError), [reported.lastError, restarted.lastError, '']);
      });

      await t.test('a speculation setting without --speculation, or a quantile outside (0, 1], is refused naming the flag', async () => {
        const [without, badQuantile] = await Promise.all([
          runCli(['run', '--speculation-quantile', '0.5', SPECULATION, dir('refused'), '0'], { timeoutMs: 120_000 }),
          runCli(['run', '--speculation', '--speculation-quantile', '1.5', SPECULATION, dir('refused2'), '0'], { timeoutMs: 120_000 }),
        ]);
        assert.equal(without.code, 1, without.stderr);
        assert.match(without.stderr, /--speculation-quantile sets how speculation copies tasks, and speculation is off: add --speculation \(Spark's spark\.speculation=true\)/);
        assert.doesNotMatch(without.stdout, /SPEC/);
        assert.equal(badQuantile.code, 1, badQuantile.stderr);
        assert.match(badQuantile.stderr, /--speculation-quantile must be a fraction of a stage's tasks above 0 and at most 1 .*got '1\.5'/);
      });
    });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
