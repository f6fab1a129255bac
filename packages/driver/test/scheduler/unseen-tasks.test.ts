// UnseenTasks with fake heartbeats (a slow task reported running is never found; a task never
// reported is found after the bound, counted in heartbeats and in time; late heartbeats or a
// burst of them find nothing by themselves; a finished task is forgotten), and the
// TaskScheduler's recovery against a fake cluster: the unseen task is failed as lost there and
// runs on another worker, the worker's connection is opened anew, and the worker is declared
// lost only when it does not answer over the new one.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { TaskScheduler, UNSEEN_RECONNECT_TIMEOUT_MS } from '../../src/scheduler/task-scheduler.js';
import { TaskSetManager, type TaskSetEnd } from '../../src/scheduler/task-set-manager.js';
import { UnseenTasks } from '../../src/scheduler/unseen-tasks.js';
import { fakeRegistry, ok, settle, Stage } from './scheduler-fakes.js';
import { taskSetOptions } from './task-set-test-options.js';

const HB = 500;
const BOUND = 3000;

describe('UnseenTasks', () => {
  test('a slow task listed by every heartbeat is never found, however long it runs', () => {
    const u = new UnseenTasks(BOUND, HB);
    u.launched('w', 't1', 0);
    for (let now = HB; now <= 600_000; now += HB) {
      // Listed from the second heartbeat on (the first was written before it arrived).
      assert.equal(u.heartbeat('w', now === HB ? [] : ['t1'], now), undefined, `found at ${now} ms`);
      if (now > HB) u.launched('w', `other${now}`, now);
      if (now > HB) u.ended('w', `other${now}`);
    }
  });

  test('a task never listed is found at the first heartbeat past both the bound and enough heartbeats, once, and no longer watched', () => {
    const u = new UnseenTasks(BOUND, HB);
    assert.equal(u.minHeartbeats, BOUND / HB);
    u.launched('w', 'lost1', 0);
    u.launched('w', 'slow', 0);
    u.launched('x', 'onOther', 0);
    let found;
    let now = 0;
    while (found === undefined) {
      now += HB;
      assert.ok(now <= BOUND, `not found by ${now} ms`);
      found = u.heartbeat('w', ['slow'], now);
      // The other worker's heartbeats never list its task either, but they are its own.
    }
    assert.equal(now, BOUND, 'found at the heartbeat that reached the bound, not before');
    assert.deepEqual(found, { workerId: 'w', taskIds: ['lost1'], heartbeats: BOUND / HB, launchedMsAgo: BOUND });
    assert.equal(u.heartbeat('w', [], now + HB), undefined, 'found once: not watched since');
    assert.equal(u.watched('w'), 0);
    assert.equal(u.watched('x'), 1, "a worker is judged by its own heartbeats only");
  });

  test('late heartbeats: time past the bound finds nothing until that many heartbeats came; a burst counts once', () => {
    const u = new UnseenTasks(BOUND, HB);
    u.launched('w', 't', 0);
    // A worker under load: a heartbeat every 2 s. Past the bound in time after 2 of them.
    const at: number[] = [];
    for (let now = 2000; now <= 2000 * 10; now += 2000) if (u.heartbeat('w', [], now) !== undefined) at.push(now);
    assert.deepEqual(at, [2000 * (BOUND / HB)], 'found at the 6th heartbeat (12 s), not when the 3 s bound passed');
    // No heartbeat at all: nothing is found (the worker timeout decides).
    const quiet = new UnseenTasks(BOUND, HB);
    quiet.launched('w', 't', 0);
    assert.equal(quiet.heartbeat('w', [], 60_000), undefined, 'one heartbeat a minute after the launch');
    // A burst of 20 heartbeats read at once (the driver paused) counts as one.
    const burst = new UnseenTasks(BOUND, HB);
    burst.launched('w', 't', 0);
    for (let i = 0; i < 20; i++) assert.equal(burst.heartbeat('w', [], 20_000 + i), undefined, `burst heartbeat ${i}`);
    assert.equal(burst.heartbeat('w', ['t'], 20_000 + HB), undefined, 'listed once the burst is read: forgotten');
    assert.equal(burst.watched('w'), 0);
  });

  test('a task that ended is forgotten; a worker gone forgets its tasks', () => {
    const u = new UnseenTasks(BOUND, HB);
    u.launched('w', 'quick', 0);
    u.launched('w', 'gone', 0);
    u.ended('w', 'quick');
    u.workerGone('w');
    for (let now = HB; now <= 4 * BOUND; now += HB) assert.equal(u.heartbeat('w', [], now), undefined);
  });
});

/** Two one-core workers, wA and wB; one 2-task set launched (one task on each); `lines` collects warnings. */
async function twoWorkers() {
  const { clock, fakes, registry, add } = fakeRegistry();
  const lines: { msg: string; workerId?: string; taskIds?: string[] }[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as { msg: string }) });
  const scheduler = new TaskScheduler(registry, log, { heartbeatIntervalMs: HB, unseenTaskTimeoutMs: BOUND, now: () => clock.now() });
  add({ wA: 1, wB: 1 });
  const stage = new Stage();
  const tsm = new TaskSetManager(stage, [0, 1], taskSetOptions({ speculation: false, pipelineMaxTaskMs: 0 }), clock, () => undefined);
  let end: TaskSetEnd | undefined;
  void tsm.finished.then((e) => (end = e));
  scheduler.submit(tsm);
  await settle();
  const a = fakes.get('wA')!;
  const b = fakes.get('wB')!;
  assert.equal(a.waiting.length + b.waiting.length, 2);
  assert.equal(b.waiting.length, 1, 'one task on each worker');
  /** Both workers heartbeat every HB ms for `ms`: wA lists its task, wB (its link from the driver dead) none. */
  const heartbeats = async (ms: number): Promise<void> => {
    for (let t = 0; t < ms; t += HB) {
      clock.advance(HB);
      for (const id of ['wA', 'wB']) {
        if (!registry.heartbeat(id)) continue;
        scheduler.heartbeat(id, id === 'wA' ? a.waiting.map((l) => l.desc.taskId) : []);
      }
      await settle();
    }
  };
  return { clock, registry, scheduler, stage, a, b, lines, heartbeats, end: () => end };
}

describe('TaskScheduler: tasks a worker never got', () => {
  test('failed as lost there and run on another worker; the worker, silent over a new connection too, is declared lost; the warning names it, its address and the tasks', async () => {
    const c = await twoWorkers();
    const lostTask = c.b.waiting[0]!.desc.taskId;
    await c.heartbeats(BOUND - HB);
    assert.equal(c.b.reconnects.length, 0, 'nothing before the bound');
    await c.heartbeats(HB);
    assert.equal(c.b.reconnects.length, 1, 'reconnected at the bound');
    assert.equal(c.b.reconnects[0]!.timeoutMs, Math.min(BOUND, UNSEEN_RECONNECT_TIMEOUT_MS), 'the call over the new connection is given the bound, at most 10 s');
    assert.equal(c.registry.get('wB'), undefined, 'declared lost: no answer over the new connection');
    const warn = c.lines.find((l) => l.msg.includes('what the driver sends it does not reach it'));
    assert.ok(warn, `a warning: ${JSON.stringify(c.lines)}`);
    assert.equal(warn.workerId, 'wB');
    assert.deepEqual(warn.taskIds, [lostTask]);
    assert.match(warn.msg, /wB at 127\.0\.0\.1:2/);
    assert.ok(c.stage.reasons.includes('worker_lost'), `the task ended as lost with its worker: ${c.stage.reasons.join()}`);
    // wA's task ends; the lost partition runs there next.
    c.a.waiting.shift()!.resolve(ok());
    await settle();
    assert.equal(c.a.waiting.length, 1, 'the unseen task runs again on wA');
    c.a.waiting.shift()!.resolve(ok());
    await settle();
    assert.deepEqual(c.end(), { kind: 'done' });
    assert.deepEqual([...c.stage.successes.entries()].sort(), [[0, 1], [1, 1]], 'each partition once');
  });

  test('a worker that answers over the new connection stays, and takes tasks again', async () => {
    const c = await twoWorkers();
    c.b.answers = true;
    await c.heartbeats(BOUND);
    assert.equal(c.b.reconnects.length, 1);
    assert.ok(c.registry.get('wB'), 'still registered');
    assert.ok(c.stage.reasons.includes('worker_lost'));
    // Its next heartbeat makes it responsive again (the failed launch made it suspect): the task goes back to it or to wA.
    await c.heartbeats(HB);
    c.a.waiting.shift()!.resolve(ok());
    await settle();
    const again = [...c.a.waiting, ...c.b.waiting];
    assert.equal(again.length, 1, 'the partition launched again');
    again[0]!.resolve(ok());
    await settle();
    assert.deepEqual(c.end(), { kind: 'done' });
  });

  test('a slow task on each worker, listed by their heartbeats, is never failed', async () => {
    const c = await twoWorkers();
    const bTask = c.b.waiting[0]!.desc.taskId;
    for (let t = 0; t < 20 * BOUND; t += HB) {
      c.clock.advance(HB);
      c.registry.heartbeat('wA');
      c.registry.heartbeat('wB');
      c.scheduler.heartbeat('wA', c.a.waiting.map((l) => l.desc.taskId));
      c.scheduler.heartbeat('wB', [bTask]);
    }
    await settle();
    assert.equal(c.b.reconnects.length + c.a.reconnects.length, 0);
    assert.deepEqual(c.stage.reasons, []);
  });
});
