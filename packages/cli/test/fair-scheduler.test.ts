// Spark's scheduling within an application (docs/job-scheduling.md, "Scheduling Within an
// Application"; PoolSuite's cases where a real cluster shows them): FIFO by default, FAIR pools
// by sc.setSchedulerMode and the spark.scheduler.pool local property, weights and minShare from
// an allocation file as Spark's fairscheduler.xml. The fixture's first job holds every slot until
// the second job's stage is submitted; the launch order is the program's SparkListener
// onTaskStart's. The expected orders are worked out here from Spark's FairSchedulingAlgorithm (see
// each test); the bounds are loose, as tasks' run times vary on a loaded machine.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fixture, jsonLines, withCluster, type JobRun } from './harness.js';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-fair-scheduler-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

interface Contest {
  readonly held: string[];
  readonly starts: string[];
  readonly heard: { stage: number; pool: string | null }[];
  readonly ok: boolean[];
}

function contest(run: JobRun, which: string): Contest {
  assert.ok(run.ok, `the job failed: ${run.failure}\n${run.lines.join('\n')}`);
  const [c] = jsonLines<Contest>(run.lines, `X ${which} `);
  assert.ok(c, `no X ${which} line:\n${run.lines.join('\n')}`);
  assert.deepEqual(c.ok, [true, true]);
  if (process.env.SHOW) console.error("DEBUG", which, c.held.join(""), c.starts.map((p) => p[0]).join(""));
  return c;
}

/** How many of `pool`'s starts come after the first start of another pool. */
function startsAfterFirstOf(starts: readonly string[], other: string, pool: string): number {
  const at = starts.indexOf(other);
  assert.ok(at >= 0, `no ${other} start in ${starts.join(',')}`);
  return starts.slice(at + 1).filter((p) => p === pool).length;
}

function allocations(name: string, body: string): string {
  const file = path.join(scratch, name);
  fs.writeFileSync(file, `<?xml version="1.0"?>\n<!-- ${name} -->\n<allocations>\n${body}\n</allocations>\n`);
  return file;
}

describe('two slots (2 workers x 1 core)', () => {
  const runs = new Map<string, JobRun>();
  const pages = new Map<string, string>();
  before(async () => {
    const badWeight = allocations('bad-weight.xml', '<pool name="p"><weight>two</weight></pool>');
    await withCluster({ workers: 2, coresPerWorker: 1, driver: { webPort: 0 } }, async (h) => {
      for (const [which, file] of [['fifo'], ['fair'], ['bad-file', badWeight], ['streaming']] as const) {
        runs.set(which, await h.run(fixture('fair-scheduler.ts'), [scratch, which, '2', ...(file === undefined ? [] : [file])]));
      }
      // Spark's StageData.schedulingPool: the fair run's stages' pools.
      const root = `http://127.0.0.1:${h.cluster.driver.webPort}/api/v1/applications/${runs.get('fair')!.jobId}`;
      const stages = (await (await fetch(`${root}/stages`)).json()) as { stageId: number; schedulingPool: string }[];
      runs.set('rest', { ...runs.get('fair')!, lines: [`X rest ${JSON.stringify(stages.map((s) => [s.stageId, s.schedulingPool]))}`] });
      // The UI's job page: the stage table's pool column under FAIR only (Spark's "Pool Name").
      const ui = `http://127.0.0.1:${h.cluster.driver.webPort}/jobs`;
      for (const which of ['fifo', 'fair'] as const) pages.set(which, await (await fetch(`${ui}/${runs.get(which)!.jobId}/`)).text());
    });
  });

  test('FIFO (the default): the second job, in another pool, waits for every task of the first', () => {
    const c = contest(runs.get('fifo')!, 'fifo');
    assert.deepEqual(c.held, ['a', 'a']);
    assert.equal(c.starts.filter((p) => p === 'a').length, 10);
    assert.equal(c.starts.filter((p) => p === 'b').length, 4);
    // FIFO offers slots to the first job while it has tasks waiting: all 10 of a's start before b's.
    assert.equal(startsAfterFirstOf(c.starts, 'b', 'a'), 0, c.starts.join(','));
    // The listener's onStageSubmitted properties carry each job's pool, in either mode.
    assert.deepEqual(c.heard.map((x) => x.pool), ['a', 'b']);
  });

  test('FAIR: pools made with the defaults for names set by the local property share the slots', () => {
    const c = contest(runs.get('fair')!, 'fair');
    assert.deepEqual(c.held, ['a', 'a']);
    // The first freed slot goes to b (0 running, a 1), the second to a (0 running, b 1); after that
    // each pool gets back the slot its own task frees (FairSchedulingAlgorithm: fewer running tasks
    // per weight first, ties by name): b's first start is one of the first two (when both held
    // tasks' ends are seen in one pass, a (0 running) and b (0) tie and 'a' goes first), a's 10
    // nearly all after it, and b runs its 4 in one
    // slot while a runs in the other, so b is done while a still has tasks to start.
    assert.ok(c.starts.slice(0, 2).includes('b'), c.starts.join(','));
    assert.ok(startsAfterFirstOf(c.starts, 'b', 'a') >= 6, c.starts.join(','));
    assert.ok(c.starts.lastIndexOf('b') < c.starts.lastIndexOf('a'), c.starts.join(','));
    assert.deepEqual(c.heard.map((x) => x.pool), ['a', 'b']);
  });

  test("REST StageData.schedulingPool is the stage's job's pool", () => {
    const [stages] = jsonLines<[number, string][]>(runs.get('rest')!.lines, 'X rest ');
    const heard = contest(runs.get('fair')!, 'fair').heard;
    assert.deepEqual(
      [...stages].sort((a, b) => a[0] - b[0]),
      heard.map((x) => [x.stage, x.pool]).sort((a, b) => (a[0] as number) - (b[0] as number)),
    );
  });

  test("streaming output operations run in the pool their foreachRDD sets, else the one set before ssc.start()", () => {
    const run = runs.get('streaming')!;
    assert.ok(run.ok, `${run.failure}\n${run.lines.join('\n')}`);
    const [r] = jsonLines<{ counts: number[]; programPool: string | null; inBatch: (string | null)[]; after: (string | null)[] }>(run.lines, 'X streaming ');
    assert.deepEqual(r.counts, [3, 3]);
    // 'saved' for the second output (and any warm-up job), 'reports' for the first; the program's own is untouched.
    assert.deepEqual(r.inBatch, ['reports', 'saved']);
    assert.equal(r.programPool, 'saved');
    assert.deepEqual(r.after, [null]);
  });

  test("the UI's job page shows each stage's pool (\"Pool Name\") when the program schedules FAIR", () => {
    const stageRows = (html: string): string[][] => {
      // The last stages table: 'Stages of those actions' (the first, 'Active stages', is empty by now).
      const t = [...html.matchAll(/<table class="stages">(.*?)<\/table>/gs)].at(-1);
      assert.ok(t, html);
      // A cell's text (the stage id is a link to its page).
      return [...t[1].matchAll(/<tr>(.*?)<\/tr>/gs)].map((r) => [...r[1].matchAll(/<t[hd]>(.*?)<\/t[hd]>/gs)].map((c) => c[1].replace(/<[^>]*>/g, '')));
    };
    const [head, ...rows] = stageRows(pages.get('fair')!);
    assert.deepEqual(head.slice(0, 3), ['Stage', 'Pool Name', 'Kind']);
    const heard = contest(runs.get('fair')!, 'fair').heard;
    assert.deepEqual(
      rows.map((r) => [Number(r[0]), r[1]]).sort((a, b) => (a[0] as number) - (b[0] as number)),
      heard.map((x) => [x.stage, x.pool]).sort((a, b) => (a[0] as number) - (b[0] as number)),
    );
    assert.doesNotMatch(pages.get('fifo')!, /Pool Name/);
  });

  test('an allocation file with a bad value: SLUICE_BAD_ARGUMENT naming the file, the pool and the field', () => {
    const run = runs.get('bad-file')!;
    assert.ok(run.ok, run.lines.join('\n'));
    const [r] = jsonLines<{ code: string; error: string }>(run.lines, 'X bad-file ');
    assert.equal(r.code, 'SLUICE_BAD_ARGUMENT');
    assert.match(r.error, /allocation file '.*bad-weight\.xml': pool 'p': weight 'two' \(line 4\) is not a whole number of at least 1/);
  });
});

describe('six slots (3 workers x 2 cores), pools from an allocation file', () => {
  const runs = new Map<string, JobRun>();
  before(async () => {
    const weights = allocations('weights.xml', '<pool name="heavy"><weight>2</weight></pool>\n<pool name="light"><schedulingMode>fifo</schedulingMode><weight>1</weight></pool>');
    const minShare = allocations('min-share.xml', '<pool name="big"><weight>5</weight></pool>\n<pool name="min"><minShare>3</minShare></pool>');
    await withCluster({ workers: 3, coresPerWorker: 2 }, async (h) => {
      runs.set('weights', await h.run(fixture('fair-scheduler.ts'), [scratch, 'weights', '6', weights]));
      runs.set('min-share', await h.run(fixture('fair-scheduler.ts'), [scratch, 'min-share', '6', minShare]));
    });
  });

  test('weights 2:1 give about 2:1 of the slots while both pools have tasks waiting', () => {
    const c = contest(runs.get('weights')!, 'weights');
    // Worked out: the 6 held heavy tasks' slots go light, light, then heavy x4 (4/2 = 2/1 ties go
    // to 'heavy' by name); from (4 running, 2 running) each pool gets back what its own tasks free,
    // so 1 start in 3 is light's: 2 + 24/3 = 10 of the first 30. Equal weights would give 3 + 12 = 15.
    const light = c.starts.slice(0, 30).filter((p) => p === 'light').length;
    assert.ok(light >= 6 && light <= 12, `light started ${light} of the first 30: ${c.starts.join(',')}`);
  });

  test('minShare first: a pool below its minShare gets slots before a heavier one', () => {
    const c = contest(runs.get('min-share')!, 'min-share');
    // Worked out: min (minShare 3) is needy until it runs 3, so the first 3 freed slots are its,
    // then (3, 3) holds: each pool gets back what its own tasks free, half of the starts each:
    // 3 + 24/2 = 15 of the first 30. Without minShare, weight 5 against 1 leaves min 1 slot of 6:
    // 1 + 24/6 = 5.
    const min = c.starts.slice(0, 30).filter((p) => p === 'min').length;
    assert.ok(min >= 10, `min started ${min} of the first 30: ${c.starts.join(',')}`);
  });
});
