// A streaming batch's map outputs damaged on a worker's disk after their map tasks succeeded,
// while the batch's reduce tasks fetch them, on real processes (the driver in the test's
// process, 2 worker processes over loopback, each with --memory 1k so that every map output but
// the last one it stored is spilled to its local directory as an index file and a data file).
// Every 1 s batch of fixtures/shuffle-damage-stream.ts groups 6,000 numbers by key and sums
// them; three batches are held between two collects over the same shuffle, and the workers'
// spilled files, the held batch's among them, are damaged meanwhile:
// - a byte flipped in each data file: the checksum finds it (shuffle-checksum.test does the same
//   to a batch job), a fetch failure naming the map output and the worker;
// - each data file cut to half its length: Spark's reader fails with the file's EOFException;
// - each index file removed: Spark's with its FileNotFoundException.
// In the last two, every task the damage failed says which map output of which shuffle on which
// worker cannot be read, the block, the file and what is wrong with it (cut short, gone), and
// the worker's log names the block and the file; the map outputs are computed again and every
// batch, held or not, is exact against sums computed here, none missing.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fixture, jsonLines, pollUntil, scratchDirsOf, startJob, within, withCluster } from './harness.js';

const RECORDS = 6_000;
/** An index file: 4 reduce partitions' offsets and the end, 8 bytes each. */
const INDEX_BYTES = (4 + 1) * 8;
type Groups = [number, number[]][];
interface Batch {
  readonly time: number;
  readonly first: Groups;
  readonly second: Groups | null;
}
interface TaskFail {
  readonly stageId: number;
  readonly partition: number;
  readonly executorId: string;
  readonly error: string;
}
type Damage = 'flip' | 'cut' | 'no-index';

/** Batch `time`'s groups, computed here: key i % 40, [count, sum of i + time / 1000]. */
function expected(time: number): Groups {
  const out: Groups = Array.from({ length: 40 }, (_, k) => [k, [0, 0]]);
  for (let i = 0; i < RECORDS; i++) {
    out[i % 40][1][0]++;
    out[i % 40][1][1] += i + time / 1000;
  }
  return out;
}

/** The spilled block files (`<local dir>/blocks/N.seg`) of a worker now. */
function spilled(workerId: string): string[] {
  const out: string[] = [];
  for (const d of scratchDirsOf(workerId)) {
    const blocks = path.join(d, 'blocks');
    for (const f of fs.existsSync(blocks) ? fs.readdirSync(blocks) : []) if (f.endsWith('.seg')) out.push(path.join(blocks, f));
  }
  return out;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test("a held batch's map outputs damaged on a worker's disk (a byte flipped, data cut short, index removed): each failure names the map output, the worker, the block and the file; recomputed, every batch exact", { timeout: 240_000 }, async () => {
  const control = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-shuffle-damage-'));
  try {
    await withCluster({ workers: 2, workerArgs: ['--memory', '1k'], workerStderr: 'pipe' }, async (h) => {
      const logs: string[] = [];
      for (const p of h.cluster.workerProcesses) p.stderr!.on('data', (d: Buffer) => logs.push(d.toString('utf8')));
      const job = await startJob(h.cluster, fixture('shuffle-damage-stream.ts'), [control, String(RECORDS)]);
      const batches = (): Batch[] => jsonLines<Batch>(job.lines, 'BATCH ');
      const untilBatch = (ok: (b: Batch) => boolean, what: string): Promise<true> =>
        pollUntil(() => {
          if (job.ended) throw new Error(`the stream ended waiting for ${what}:\n${job.lines.slice(-20).join('\n')}`);
          return batches().some(ok) ? true : undefined;
        }, 90_000, what);
      await untilBatch(() => true, 'a first batch');
      const rounds: { damage: Damage; time: number; workers: Set<string>; files: string[]; fails: TaskFail[] }[] = [];
      for (const damage of ['flip', 'cut', 'no-index'] as const) {
        fs.writeFileSync(path.join(control, 'gate'), '');
        const gated = await pollUntil(() => fs.readdirSync(control).find((f) => f.startsWith('gated-')), 90_000, `a batch held (${damage})`);
        const time = Number(gated.slice('gated-'.length));
        fs.rmSync(path.join(control, gated));
        // Every spilled file of the kind on both workers: the held batch's spilled map outputs among
        // them (6 map tasks, one kept in memory a worker), and earlier batches', which no batch reads again.
        const files: string[] = [];
        const workers = new Set<string>();
        for (const w of h.cluster.driver.registry.all()) {
          for (const f of spilled(w.id)) {
            try {
              const size = fs.statSync(f).size;
              if (damage === 'no-index' ? size !== INDEX_BYTES : size === INDEX_BYTES) continue;
              if (damage === 'flip') {
                const bytes = fs.readFileSync(f);
                bytes[bytes.length >> 1] ^= 0x01;
                fs.writeFileSync(f, bytes);
              } else if (damage === 'cut') fs.truncateSync(f, size >> 1);
              else fs.rmSync(f);
            } catch (err) {
              // An earlier batch's map output removed meanwhile (its shuffle cleaned up): nothing to damage.
              if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
              throw err;
            }
            files.push(f);
            workers.add(w.id);
          }
        }
        assert.ok(files.length >= 2, `${damage}: map outputs spilled (${files.join(', ')})`);
        const from = job.lines.length;
        fs.writeFileSync(path.join(control, `go-${time}`), '');
        await untilBatch((b) => b.time === time, `held batch ${time} (${damage})`);
        rounds.push({ damage, time, workers, files, fails: jsonLines<TaskFail>(job.lines.slice(from), 'TASKFAIL ') });
      }
      const last = Math.max(...batches().map((b) => b.time));
      await untilBatch((b) => b.time > last, 'a batch after the damage');
      fs.writeFileSync(path.join(control, 'stop'), '');
      const run = await within(job.done, 60_000, 'the stream to stop');
      assert.equal(run.ok, true, JSON.stringify(run.failure));

      const all = batches();
      for (const b of all) {
        assert.deepEqual(b.first, expected(b.time), `batch ${b.time}'s groups`);
        if (b.second !== null) assert.deepEqual(b.second, expected(b.time), `batch ${b.time}'s groups read again after the damage`);
      }
      for (let i = 1; i < all.length; i++) assert.equal(all[i].time - all[i - 1].time, 1000, `no batch missing after ${all[i - 1].time}`);
      const text = logs.join('');
      for (const r of rounds) {
        const worker = `(${[...r.workers].join('|')})`;
        const held = all.find((b) => b.time === r.time)!;
        assert.notEqual(held.second, null, `batch ${r.time} was read again`);
        assert.ok(r.fails.length >= 1, `${r.damage}: a reduce task of batch ${r.time} failed on the damage`);
        for (const f of r.fails) {
          if (r.damage === 'flip') {
            assert.match(f.error, new RegExp(`^shuffle block damaged: map output \\d+ of shuffle \\d+, reduce partition \\d+, on worker ${worker} does not match its checksum, read twice`), f.error);
            continue;
          }
          const what = r.damage === 'cut' ? `its data file '(${r.files.map(escape).join('|')})' \\(block shuffle_[^)]+\\) is \\d+ bytes, cut short of the \\d+ this read needs \\(it was truncated after it was written\\)` : `its index file '(${r.files.map(escape).join('|')})' \\(block shuffle_[^)]+\\) is gone \\(ENOENT: removed from the local directory after it was written\\)`;
          const named = new RegExp(`^map output \\d+ of shuffle \\d+ on worker ${worker} cannot be read from that worker's local directory: ${what}; the map output is computed again\\. If this recurs, check worker (\\S+)'s --local-dir and its disk`).exec(f.error);
          assert.ok(named !== null && named[1] === named[3], f.error);
          // The worker's log: the block dropped, naming it and the file.
          const block = /\(block (shuffle_[^)]+)\)/.exec(f.error)![1];
          const file = /file '([^']+)'/.exec(f.error)![1];
          const line = text.split('\n').find((l) => l.includes('"msg":"spilled block unreadable; dropping it"') && l.includes(`"blockId":"${block}"`));
          assert.ok(line !== undefined, `the worker's log names ${block}`);
          const logged = JSON.parse(line) as { workerId: string; file: string; problem: string };
          assert.equal(logged.workerId, named[1]);
          assert.equal(logged.file, file);
          assert.match(logged.problem, r.damage === 'cut' ? /cut short/ : /is gone/);
        }
      }
      console.log(`# ${all.length} batches; ${rounds.map((r) => `${r.damage}: ${r.files.length} files damaged, ${r.fails.length} tasks failed`).join('; ')}`);
    });
  } finally {
    fs.rmSync(control, { recursive: true, force: true });
  }
});
