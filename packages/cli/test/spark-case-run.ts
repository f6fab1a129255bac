// The test side of fixtures/spark-cases.ts: a Spark-suite fixture run once for its test
// file, its cases' `<tag> <case> <json>` lines read back by tag and case.
import assert from 'node:assert/strict';
import type { LocalClusterOptions } from '../src/local-cluster.js';
import { fixture, withCluster, type ClusterHandle, type JobRun } from './harness.js';

/** What one run of a Spark-suite fixture printed, by tag and case. */
export class SparkCaseRun {
  constructor(readonly run: JobRun) {}

  /** The values case `c` printed under `tag`, in order. */
  tagged<T = unknown>(tag: string, c: string): T[] {
    return this.run.lines.flatMap((l) => {
      const m = /^(\S) (\S+) (.*)$/.exec(l);
      return m && m[1] === tag && m[2] === c ? [JSON.parse(m[3]) as T] : [];
    });
  }

  /** The one value case `c` printed under `tag` (`X`): its absence or a second one fails, showing the run's end. */
  one<T = Record<string, unknown>>(c: string, tag = 'X'): T {
    const xs = this.tagged<T>(tag, c);
    assert.equal(xs.length, 1, `case ${c} printed ${xs.length} results (job ok: ${this.run.ok}, ${String(this.run.failure)})\n${this.run.lines.slice(-20).join('\n')}`);
    return xs[0];
  }
}

/**
 * Runs the fixture once on a local cluster (`cluster`: its options, 2 workers by default);
 * the job must succeed, print DONE last, and no case may have thrown (an `E` line).
 * `afterRun`: called once the job ended, the cluster still up (to read its REST API).
 */
export async function runSparkCases(
  fixtureName: string,
  args: readonly string[],
  cluster: Partial<LocalClusterOptions> & { workers?: number } = { workers: 2 },
  afterRun?: (h: ClusterHandle, run: JobRun) => Promise<void>,
): Promise<SparkCaseRun> {
  const run = await withCluster(cluster, async (h) => {
    const r = await h.run(fixture(fixtureName), args);
    if (afterRun) await afterRun(h, r);
    return r;
  });
  assert.ok(run.ok, `the job failed: ${String(run.failure)}\n${run.lines.slice(-40).join('\n')}`);
  // These run in a before() hook: each message says what was seen (the run's end, the cases that threw).
  assert.equal(run.lines.at(-1), 'DONE', `the job's last line is not DONE:\n${run.lines.slice(-40).join('\n')}`);
  const threw = run.lines.filter((l) => l.startsWith('E '));
  assert.deepEqual(threw, [], `cases threw:\n${threw.join('\n')}`);
  return new SparkCaseRun(run);
}
