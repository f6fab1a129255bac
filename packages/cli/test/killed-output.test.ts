// A task attempt killed after it wrote output reports what it wrote, as Spark's TaskKilled carries
// the task's outputMetrics as they stood: a saveAsTextFile through a file system the job
// registers (held://, fixtures/killed-output.ts), whose writer takes every line of its part and
// then never commits; the program cancels the save's job group once the writer has them. REST's
// taskList gives the killed attempt's outputMetrics the bytes and lines the writer was given
// (computed here from the lines' formula, and as the writer counted them), and the stage's
// outputBytes and outputRecords sum them. Before, a killed attempt's output figures were 0.
// The second test: the same for a part written to a local directory (a plain path).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture, pollUntil } from './harness.js';
import { withHeldRun } from './held-run.js';

const N = 50_000;

interface Task {
  readonly status: string;
  readonly taskMetrics: { readonly outputMetrics: { readonly bytesWritten: number; readonly recordsWritten: number } };
}

test('an attempt killed while its part waits for its commit reports the output it wrote', { timeout: 150_000 }, async () => {
  // Every line as the fixture makes it, with its newline (ASCII: a character a byte).
  let bytes = 0;
  for (let i = 0; i < N; i++) bytes += `line ${i} of the held save\n`.length;
  await withHeldRun('killed-output', (dir) => ['--workers', '1', fixture('killed-output.ts'), dir, String(N)], { holdMs: 120_000, ready: (run) => run.stdout.some((l) => l.startsWith('CANCELLED ')) }, async (run) => {
    // Held once its last line came through sluice run's stdout too (it may come after the gate file).
    assert.deepEqual(run.line('WRITTEN').slice(1).map(Number), [bytes, N], 'the writer was given every line');
    assert.deepEqual(run.line('CANCELLED').slice(1), ['SLUICE_CANCELLED'], 'the save was cancelled');
    const [app] = (await (await fetch(`${run.root}/api/v1/applications`)).json()) as { id: string }[];
    const rest = `${run.root}/api/v1/applications/${app.id}`;
    const stages = (await (await fetch(`${rest}/stages`)).json()) as { stageId: number; attemptId: number; outputBytes: number; outputRecords: number; numKilledTasks: number }[];
    assert.equal(stages.length, 1, JSON.stringify(stages));
    const [s] = stages;
    // The killed attempt's figures come with its worker's answer to the kill.
    const killed = await pollUntil(async () => {
      const tasks = (await (await fetch(`${rest}/stages/${s.stageId}/${s.attemptId}/taskList`)).json()) as Task[];
      const k = tasks.find((t) => t.status === 'KILLED');
      return k !== undefined && k.taskMetrics.outputMetrics.recordsWritten > 0 ? k : undefined;
    }, 30_000, 'the killed attempt\'s measurements');
    assert.deepEqual(killed.taskMetrics.outputMetrics, { bytesWritten: bytes, recordsWritten: N }, 'the killed attempt: every line given to its writer');
    const after = (await (await fetch(`${rest}/stages/${s.stageId}/${s.attemptId}`)).json()) as { outputBytes: number; outputRecords: number };
    assert.deepEqual([after.outputBytes, after.outputRecords], [bytes, N], 'the stage sums them');
  });
});

// The same for a part written to a local directory: its lines go to the file as they are
// computed, so an attempt killed with its part half written (its last line's map holds it,
// fixtures/killed-local-output.ts) reports every line before that one. Before, a local part was
// written whole at the end and a killed attempt reported 0.
test('an attempt killed while it writes a local part file reports the lines it gave the file', { timeout: 150_000 }, async () => {
  // Lines 0..N-2: the last one's map never returns.
  let bytes = 0;
  for (let i = 0; i < N - 1; i++) bytes += `line ${i} of the local save\n`.length;
  await withHeldRun('killed-local-output', (dir) => ['--workers', '1', fixture('killed-local-output.ts'), dir, String(N)], { holdMs: 120_000, ready: (run) => run.stdout.some((l) => l.startsWith('CANCELLED ')) }, async (run) => {
    assert.deepEqual(run.line('CANCELLED').slice(1), ['SLUICE_CANCELLED'], 'the save was cancelled');
    const [app] = (await (await fetch(`${run.root}/api/v1/applications`)).json()) as { id: string }[];
    const rest = `${run.root}/api/v1/applications/${app.id}`;
    const stages = (await (await fetch(`${rest}/stages`)).json()) as { stageId: number; attemptId: number }[];
    assert.equal(stages.length, 1, JSON.stringify(stages));
    const [s] = stages;
    // As in the first case: the attempt is told KILLED at the kill, with none, and its figures
    // amend it when its worker answers the kill, which may come after the program's CANCELLED.
    const killed = await pollUntil(async () => {
      const tasks = (await (await fetch(`${rest}/stages/${s.stageId}/${s.attemptId}/taskList`)).json()) as Task[];
      const k = tasks.find((t) => t.status === 'KILLED');
      return k !== undefined && k.taskMetrics.outputMetrics.recordsWritten > 0 ? k : undefined;
    }, 30_000, "the killed attempt's measurements");
    assert.deepEqual(killed.taskMetrics.outputMetrics, { bytesWritten: bytes, recordsWritten: N - 1 }, 'the killed attempt: every line before the held one');
    const after = (await (await fetch(`${rest}/stages/${s.stageId}/${s.attemptId}`)).json()) as { outputBytes: number; outputRecords: number };
    assert.deepEqual([after.outputBytes, after.outputRecords], [bytes, N - 1], 'the stage sums them');
  });
});
