// The randomized RDD programs of rdd-fuzz.test.ts with worker processes killed (-9) while they
// run: 3 workers, and after every few results printed one of them, picked at random, is killed
// and a new one started in its place. Cached partitions, shuffle outputs and running tasks go
// with it; every result must still be what the programs give on plain arrays (recomputed from
// lineage, as Spark's), and the job must not fail.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { replaceRandomWorker } from './cluster-workers.js';
import type { Program } from './fixtures/rdd-fuzz-ops.js';
import { fixture, mulberry32, withCluster } from './harness.js';
import { compare, generate, type Outcome } from './rdd-fuzz-reference.js';
import { bundleJob } from '../src/bundle-job.js';

const SEED = Number(process.env.SLUICE_FUZZ_SEED ?? 7_20261206);
const PROGRAMS = Number(process.env.SLUICE_FUZZ_PROGRAMS ?? 40);
/** A worker is killed after every this many results. */
const KILL_EVERY = 12;

const rand = mulberry32(SEED);
// No localCheckpoint: a block it cut the lineage to, lost with its worker, cannot be recomputed
// (the job fails with SLUICE_CHECKPOINT, as Spark's), so it is for jobs that can be run again.
const programs: Program[] = Array.from({ length: PROGRAMS }, () => generate(rand, { localCheckpoint: false }));
const pick = mulberry32(SEED + 1);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-rdd-fuzz-faults-'));
const programFile = path.join(tmp, 'programs.json');
fs.writeFileSync(programFile, JSON.stringify(programs));

const results = new Map<string, Outcome>();
let setupError: unknown;
let killed = 0;
let ended: { state: string; error: unknown } | undefined;

before(async () => {
  try {
    // Workers log at error: each kill makes the others warn of every stream to it that broke.
    await withCluster({ workers: 3, logLevel: 'error' }, async (h) => {
      const bundle = await bundleJob(fixture('rdd-fuzz.ts'));
      const job = h.cluster.driver.submit({ name: bundle.name, code: bundle.code, sourceMap: bundle.sourceMap, args: [programFile] });
      let printed = 0;
      job.on('output', (l: string) => {
        const m = /^R (\S+) (.*)$/.exec(l);
        if (!m) return;
        results.set(m[1], JSON.parse(m[2]) as Outcome);
        if (++printed % KILL_EVERY !== 0) return;
        if (replaceRandomWorker(h, pick)) killed++;
      });
      ended = await new Promise((resolve) => job.once('end', (state: string, error: unknown) => resolve({ state, error })));
    });
  } catch (err) {
    setupError = err;
  }
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test(`${PROGRAMS} random RDD programs (seed ${SEED}) with a worker killed -9 after every ${KILL_EVERY} results give what they give on plain arrays`, () => {
  if (setupError !== undefined) throw setupError;
  assert.equal(ended?.state, 'succeeded', `the job ended ${ended?.state}: ${JSON.stringify(ended?.error)}`);
  assert.ok(killed >= 4, `workers killed: ${killed} (the programs print enough results for at least 4)`);
  const failures = compare(programs, results);
  assert.equal(failures.length, 0, failures.join('\n\n'));
});
