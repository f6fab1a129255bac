// `sluice run --stop-gracefully-on-shutdown` (Spark's spark.streaming.stopGracefullyOnShutdown):
// SIGTERM to the run stops its streaming job gracefully — the receiver stops, then every batch
// of what it stored runs — where a plain SIGTERM stops it at once, the batches queued behind
// the one running dropped after 2 s (see cli-logs.test for that stop's log).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { startSluice, until } from './cli-process.js';
import { fixture, within } from './harness.js';

test('SIGTERM to `sluice run --stop-gracefully-on-shutdown` with a backlog of batches: every record the receiver stored is processed once, the job ends stopped, exit 0', { timeout: 180_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-graceful-shutdown-'));
  const run = startSluice(['run', '--no-progress', '--log-level', 'info', '--stop-gracefully-on-shutdown', fixture('stream-shutdown.ts'), dir], process.env);
  try {
    const batches = (): number[][] => run.stdout.filter((l) => l.startsWith('BATCH ')).map((l) => JSON.parse(l.slice(6)) as number[]);
    // 4 batches processed: ~80 of the 120 records still to process, in ~8 batches of 600 ms:
    // a backlog well past the 2 s a stop that is not graceful waits, and bounded (the receiver
    // stores no more), so the graceful stop ends well within the driver's 60 s.
    await until('4 processed batches', 120_000, () => batches().length >= 4 || run.child.exitCode !== null);
    assert.equal(run.child.exitCode, null, `the run ended early:\n${run.stderr}`);
    const atSignal = batches().flat().length;
    run.child.kill('SIGTERM');
    const code = await within(run.exited, 120_000, `sluice run to exit after SIGTERM:\n${run.stderr}`);
    assert.equal(code, 0, run.stderr);
    const stored = Number(fs.readFileSync(path.join(dir, 'stored'), 'utf8'));
    const seen = batches().flat();
    // Expected from the receiver's own count: 0 .. stored-1, each once, in order.
    assert.deepEqual(seen, Array.from({ length: stored }, (_, i) => i), `processed ${seen.length} of ${stored} stored`);
    assert.ok(stored > atSignal, `records stored but not yet processed at the signal (${stored} stored, ${atSignal} processed) were processed after it`);
    assert.match(run.stderr, /"graceful":true.*"msg":"stopping the job"/, run.stderr);
    assert.match(run.stderr, /"state":"stopped".*"msg":"job ended"/, run.stderr);
  } finally {
    if (run.child.exitCode === null) run.child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
