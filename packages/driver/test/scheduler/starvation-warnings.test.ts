// Spark's starvation warning (src/scheduler/starvation-warnings.ts): when it is due, what it
// says for each state of the workers, and, through the TaskScheduler on a fake cluster, that a
// stage with no worker to run on is warned about on the timeout and every timeout after, and
// no more once its first task launched; not while another stage of its job runs a task (a
// join's second map stage behind its first), while one of another job's does.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { StarvationWarnings, starvationMessage } from '../../src/scheduler/starvation-warnings.js';
import { TaskScheduler } from '../../src/scheduler/task-scheduler.js';
import { TaskSetManager } from '../../src/scheduler/task-set-manager.js';
import { fakeRegistry, ok, settle, Stage } from './scheduler-fakes.js';
import { taskSetOptions } from './task-set-test-options.js';

const SPARK = 'Initial job has not accepted any resources; check your cluster UI to ensure that workers are registered and have sufficient resources';

test('due once each whole timeout waited, per task set; never with a timeout of 0', () => {
  const w = new StarvationWarnings(1000);
  const a = {};
  const b = {};
  assert.deepEqual([0, 999, 1000, 1001, 1999, 2000, 2500, 4100].map((ms) => w.due(a, ms)), [false, false, true, false, false, true, false, true]);
  assert.equal(w.due(b, 1500), true, 'another task set has its own count');
  const never = new StarvationWarnings(0);
  assert.deepEqual([0, 1000, 1e9].map((ms) => never.due(a, ms)), [false, false, false]);
});

test("the message: Spark's sentence, the job, stage and tasks, and why from the workers' state", () => {
  const m = (workers: number, responsive: number, cores: number, freeSlots: number): string => starvationMessage('job-7', 2, 4, 15_400, { workers, responsive, cores, freeSlots });
  assert.equal(m(0, 0, 0, 0), `${SPARK} (job job-7, stage 2: none of its 4 tasks launched in 15 s; no worker is registered with this driver: start one with \`sluice worker --driver HOST:PORT\` (this driver's address), or \`sluice run\` for a local cluster)`);
  assert.match(m(2, 0, 4, 4), /; none of the 2 registered workers has sent a heartbeat in time: are they overloaded, or cut off from the driver\?\)$/);
  assert.match(m(1, 1, 2, 0), /; all 2 cores of the 1 registered worker are taken by other tasks \(other jobs, or receivers holding a core each\): add workers or cores\)$/);
  assert.match(m(2, 2, 4, 1), /; 1 of the 4 cores of the 2 registered workers are free, yet none took a task of this stage\)$/);
  assert.match(starvationMessage('j', 0, 1, 30_000, { workers: 0, responsive: 0, cores: 0, freeSlots: 0 }), /none of its 1 task launched in 30 s/);
});

test('through the TaskScheduler: no worker, a warning at the timeout and each timeout after; a worker joins, its task launches, no warning more', async () => {
  const { clock, fakes, registry, add } = fakeRegistry();
  const warnings: { msg: string; waitedMs: number; workers: number }[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line) as { msg: string; waitedMs: number; workers: number }) });
  const scheduler = new TaskScheduler(registry, log, { starvationTimeoutMs: 1000, now: () => clock.now() });
  const tsm = new TaskSetManager(new Stage(), [0], taskSetOptions(), clock, () => undefined);
  scheduler.submit(tsm);
  scheduler.start(1);
  try {
    const tick = async (): Promise<void> => {
      await new Promise((r) => setTimeout(r, 20));
      await settle();
    };
    await tick();
    assert.equal(warnings.length, 0, 'nothing before the timeout');
    clock.advance(1000);
    await tick();
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.ok(warnings[0].msg.startsWith(`${SPARK} (job job1, stage 3: none of its 1 task launched in 1 s; no worker is registered`), warnings[0].msg);
    assert.equal(warnings[0].waitedMs, 1000);
    await tick();
    assert.equal(warnings.length, 1, 'once per timeout, not once per tick');
    clock.advance(1000);
    await tick();
    assert.equal(warnings.length, 2, 'again after another timeout');
    add({ wA: 1 });
    await tick();
    assert.equal(fakes.get('wA')!.waiting.length, 1, 'the task launched on the worker that joined');
    clock.advance(5000);
    await tick();
    assert.equal(warnings.length, 2, 'no warning once a task launched, though the set runs on');
    fakes.get('wA')!.waiting[0].resolve(ok());
    await settle();
  } finally {
    scheduler.stop();
  }
});

class SecondStage extends Stage {
  override readonly stageId = 4;
}
class OtherJobStage extends Stage {
  override readonly jobId = 'job2';
  override readonly stageId = 9;
}

test("through the TaskScheduler: a stage waiting behind its own job's running stage is not warned about, one behind another job's is", async () => {
  const { clock, fakes, registry, add } = fakeRegistry();
  const warnings: { msg: string; stageId: number }[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line) as { msg: string; stageId: number }) });
  const scheduler = new TaskScheduler(registry, log, { starvationTimeoutMs: 1000, now: () => clock.now() });
  add({ wA: 1 });
  const tick = async (): Promise<void> => {
    await new Promise((r) => setTimeout(r, 20));
    await settle();
  };
  scheduler.start(1);
  try {
    scheduler.submit(new TaskSetManager(new Stage(), [0], taskSetOptions(), clock, () => undefined));
    await tick();
    assert.equal(fakes.get('wA')!.waiting.length, 1, "stage 3's task holds the one core");
    scheduler.submit(new TaskSetManager(new SecondStage(), [0], taskSetOptions(), clock, () => undefined));
    scheduler.submit(new TaskSetManager(new OtherJobStage(), [0], taskSetOptions(), clock, () => undefined));
    await tick();
    clock.advance(2500);
    await tick();
    assert.deepEqual(warnings.map((w) => w.stageId), [9], JSON.stringify(warnings));
    assert.match(warnings[0].msg, /^Initial job has not accepted any resources.*\(job job2, stage 9: none of its 1 task launched in 3 s; all 1 cores of the 1 registered worker are taken by other tasks/);
    fakes.get('wA')!.waiting[0].resolve(ok());
    await tick();
    assert.equal(fakes.get('wA')!.waiting.length, 2, 'the next task launched once the core was free');
  } finally {
    scheduler.stop();
  }
});
