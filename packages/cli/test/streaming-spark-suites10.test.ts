// Spark semantics on a real local cluster (a driver with a web port and 2 worker processes,
// started once for the file), and `sluice run` where a driver option is the point. What each
// case expects is Spark's, worked out here from Spark's sources, not from Sluice's code:
// - spark.speculation defaults to false (core/.../internal/config/package.scala: SPECULATION_ENABLED
//   createWithDefault(false)); turned on, a straggler gets a copy (TaskSetManager.checkSpeculatableTasks)
//   and the listener's TaskInfo.speculative marks it.
// - ReceiverInfo (streaming/scheduler/ReceiverInfo.scala; REST status/api/v1/streaming/api.scala):
//   lastErrorMessage the message the receiver gave reportError, lastError the stack
//   trace of the throwable it gave (ReceiverSupervisorImpl: Throwables.getStackTraceAsString,
//   "" when none), on the listener's onReceiverError and the REST API's receivers alike.
//   Sluice's message also carries the error's own message after ': ', as it always has.
//   A restart(message, error, 10000) is a stop (ReceiverSupervisor.restartReceiver ->
//   stopReceiver("Restarting receiver with delay 10000ms: " + message, error) ->
//   deregisterReceiver): onReceiverStopped, the receiver inactive, lastErrorMessage Spark's
//   sentence alone, lastError the stack, a lastErrorTime as there is an error.
// - a window-family call's bad window length or slide is refused naming the call the program
//   made (as a bad partition count is), not the window operator it is built on;
// - Spark's own sentences in the StreamingContext's state errors (StreamingContext.start:
//   "StreamingContext has already been stopped"; DStream.validateAtInit: "Adding new inputs,
//   transformations, and output operations after starting / stopping a context is not
//   supported"; DStreamGraph.validate: "No output operations registered, so nothing to
//   execute"; start() on a started context is no error, a warning in Spark) and State's
//   (State.scala: "Cannot update the state after it has been removed", "Cannot remove the
//   state that has already been removed", "Cannot update / remove the state that is timing
//   out", "State is not set"); awaitTerminationOrTimeout is
//   false on a timeout, true once stopped.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { appRest, fixture, jsonLine, jsonLines, lineOf, pollUntil, runCli, startJob, withCluster } from './harness.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-sss10-'));
const SPECULATION = fixture('speculation-probe.ts');
const LAST_ERROR = fixture('receiver-last-error.ts');
const SUITE = fixture('streaming-spark-suites10.ts');

type Outcome = { code: string | null; error: string } | { value?: unknown };

/** A refusal: SLUICE_BAD_ARGUMENT whose message is `message` (a string) or matches it. */
function refused(o: Outcome | undefined, message: string | RegExp, what: string): void {
  assert.ok(o !== undefined && 'error' in o, `${what} was accepted: ${JSON.stringify(o)}`);
  assert.equal(o.code, 'SLUICE_BAD_ARGUMENT', `${what}: ${o.error}`);
  if (typeof message === 'string') assert.equal(o.error, message, what);
  else assert.match(o.error, message, what);
}

interface ReceiverJson {
  streamId: number;
  isActive?: boolean;
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
        // The default driver: partition 0's first attempt takes 5 s, 5x the 1 s
        // minimum run time and far past 1.5x the median of the others (150 ms).
        const off = dir('off');
        const offRun = startJob(h.cluster, SPECULATION, [off, '5000']).then((j) => j.done);
        // Turned on (a driver of its own): the first attempt would take 120 s; its copy wins, and the run ends.
        const on = dir('on');
        const onRun = runCli(['run', '--speculation', '--speculation-min-runtime', '500ms', SPECULATION, on, '120000'], { timeoutMs: 240_000 });
        const [o, r] = await Promise.all([offRun, onRun]);
        assert.ok(o.ok, String(o.failure));
        assert.deepEqual(jsonLine<Spec>(o.lines, 'SPEC '), { values: expected, attempts: 1, speculativeSucceeded: 0 });
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(jsonLine<Spec>(r.stdout.split('\n'), 'SPEC '), { values: expected, attempts: 2, speculativeSucceeded: 1 });
      });

      await t.test("a receiver's lastError is the stack of the error it gave reportError / restart (without one: absent in REST, \"\" to the listener), lastErrorMessage its message: REST /streaming/receivers and the listener's onReceiverError / onReceiverStopped", async () => {
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
        const restarted = await receiverWith('Restarting receiver with delay 10000ms: probe: restarting');
        assert.equal(restarted.isActive, false, 'inactive while it restarts (deregisterReceiver)');
        assert.ok(restarted.lastErrorTime, 'lastErrorTime');
        assert.match(restarted.lastError ?? '', /^TypeError: socket gone\n/, restarted.lastError);
        assert.match(restarted.lastError ?? '', fixtureFrame('restartFromReceiver', 'RESTART-SITE'), restarted.lastError);
        fs.writeFileSync(path.join(d, 'restarted.seen'), '');
        const bare = await receiverWith('probe: no error given');
        // Spark's REST leaves an empty lastError out (ApiStreamingRootResource: Some only when non-empty); the listener's is "".
        assert.equal(bare.lastError, undefined);
        assert.ok(!('lastError' in bare), JSON.stringify(bare));
        assert.equal(bare.isActive, true);
        fs.writeFileSync(path.join(d, 'bare.seen'), '');
        const run = await job.done;
        assert.ok(run.ok, String(run.failure));
        assert.equal(run.lines.at(-1), 'DONE');
        // The listener got the same three, in order, with the same strings as REST (then the
        // stop of ssc.stop(), if it came before the context ended).
        const heard = jsonLines<{ kind: string; lastErrorMessage: string; lastError: string; message: string }>(run.lines, 'L ').slice(0, 3);
        assert.deepEqual(
          heard.map((l) => [l.kind, l.lastErrorMessage, l.message]),
          [
            ['error', 'probe: reported: disk on fire'],
            ['stopped', 'Restarting receiver with delay 10000ms: probe: restarting'],
            ['error', 'probe: no error given'],
          ].map(([k, m]) => [k, m, m]),
        );
        assert.deepEqual(heard.map((l) => l.lastError), [reported.lastError, restarted.lastError, '']);
      });

      await t.test('window-family calls, StreamingContext states and State: the errors name the call the program made and carry Spark\'s sentences', async () => {
        const run = await (await startJob(h.cluster, SUITE, [dir('suite')])).done;
        assert.ok(run.ok, String(run.failure));
        assert.equal(run.lines.at(-1), 'DONE', run.lines.join('\n'));
        assert.deepEqual(run.lines.filter((l) => l.startsWith('E ')), [], 'no case threw');
        const w = jsonLine<Record<string, Outcome>>(run.lines, 'X window-names ');
        // Each ends with the sentence of the Spark class the same call builds (since round 15):
        // WindowedDStream's "must be a multiple", ReducedWindowedDStream's "must be multiple".
        const multiple = (call: string, what: 'length' | 'slide', ms: number, reduced = false): string =>
          `dstream.${call}: window ${what} (${ms} ms) must be a multiple of the batch interval (1000 ms) (Spark: "The ${what === 'length' ? 'window' : 'slide'} duration of ` +
          (reduced ? `ReducedWindowedDStream (${ms} ms) must be multiple` : `windowed DStream (${ms} ms) must be a multiple`) +
          ' of the slide duration of parent DStream (1000 ms)")';
        refused(w['window(1500)'], multiple('window', 'length', 1500), 'window(1500)');
        refused(w['window(2000, 1500)'], multiple('window', 'slide', 1500), 'window(2000, 1500)');
        refused(w['countByWindow(1500, 1000)'], multiple('countByWindow', 'length', 1500, true), 'countByWindow');
        refused(w["countByWindow('soon', 1000)"], /^dstream\.countByWindow: window length: 'soon' is not a duration/, "countByWindow('soon')");
        refused(w['reduceByWindow(f, 1500, 1000)'], multiple('reduceByWindow', 'length', 1500), 'reduceByWindow');
        refused(w['reduceByWindow(f, inv, 2000, 1500)'], multiple('reduceByWindow', 'slide', 1500, true), 'reduceByWindow with inv');
        refused(w['groupByKeyAndWindow(1500)'], multiple('groupByKeyAndWindow', 'length', 1500), 'groupByKeyAndWindow');
        refused(w['groupByKeyAndWindow(2000, 1000, 0)'], 'dstream.groupByKeyAndWindow: numPartitions must be a positive integer, got 0', 'groupByKeyAndWindow(.., 0)');
        refused(w['reduceByKeyAndWindow(f, 1500)'], multiple('reduceByKeyAndWindow', 'length', 1500), 'reduceByKeyAndWindow');
        refused(w['reduceByKeyAndWindow(f, inv, 1500, 1000)'], multiple('reduceByKeyAndWindow', 'length', 1500, true), 'reduceByKeyAndWindow with inv');
        refused(w['countByValueAndWindow(2000, 1500)'], multiple('countByValueAndWindow', 'slide', 1500, true), 'countByValueAndWindow');

        const c = jsonLine<Record<string, Outcome | boolean>>(run.lines, 'X context-states ');
        refused(c.startNoOutput as Outcome, /^No output operations registered, so nothing to execute/, 'start() with no output');
        assert.deepEqual(c.startAgain, {}, 'start() on a started context is accepted (Spark warns)');
        refused(c.mapAfterStart as Outcome, /Adding new inputs, transformations, and output operations after starting a context is not supported/, 'map after start');
        refused(c.printAfterStop as Outcome, /Adding new inputs, transformations, and output operations after stopping a context is not supported/, 'print after stop');
        refused(c.startAfterStop as Outcome, /^StreamingContext has already been stopped/, 'start after stop');
        assert.equal(c.timedOut, false, 'awaitTerminationOrTimeout(50) on a running context');
        assert.equal(c.afterStop, true, 'awaitTerminationOrTimeout once stopped');

        const s = jsonLine<Record<string, string>>(run.lines, 'X state-errors ');
        assert.match(s.a, /^state\.update\(\): Cannot update the state after it has been removed/);
        assert.match(s.b, /^state\.remove\(\): Cannot remove the state that has already been removed/);
        assert.match(s.c, /^state\.get\(\): State is not set/);
        assert.equal(s.d, 'ok');
        assert.match(s['d:timing-out'] ?? '', /^state\.update\(\): Cannot update the state that is timing out/, JSON.stringify(s));
        assert.match(s['e:timing-out'] ?? '', /^state\.remove\(\): Cannot remove the state that is timing out/, JSON.stringify(s));
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
