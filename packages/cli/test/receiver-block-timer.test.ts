// A receiver's block timer against the batch boundary, through the public interface: a
// custom receiver stores a record every 10 ms, steadily, on a 2-worker cluster, and holds its
// thread 45 ms after each store (a blocking wait: no CPU), so its block timer's ticks run up
// to 45 ms late, as on a loaded machine. With 1 s batches and 200 ms blocks the batches
// should take 5 blocks a second. A timer re-armed from each late tick (the setInterval it
// was) drifted: it cut 77-80 blocks in the 21 batches where 105 were due, batches of 3 and 4.
// Blocks reported late only move between batches, so the count over the steady part is
// asserted, loosely; the counts per batch are a diagnostic.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture, jsonLines, startJob, withCluster, within } from './harness.js';

interface BatchLine {
  readonly time: number;
  readonly blocks: number;
  readonly records: number;
  /** How long after its time the batch was submitted (it took its blocks just before). */
  readonly late: number;
}

const BATCH_MS = 1000;
const BLOCK_MS = 200;
const HOLD_MS = 45;
const BATCHES = 24;
/** The first batches with records, left out: the receiver's first block falls anywhere in the first one. */
const SETTLING = 3;

test('a steady receiver whose thread is busy 45 ms at a time, 1 s batches, 200 ms blocks: 5 blocks a second over 20 batches, none lost to a drifting timer', { timeout: 180_000 }, async (t) => {
  await withCluster({ workers: 2 }, async (h) => {
    const job = await startJob(h.cluster, fixture('stream-block-cadence.ts'), [String(BATCH_MS), String(BLOCK_MS), String(BATCHES), String(HOLD_MS)]);
    const run = await within(job.done, 150_000, 'the stream to run its batches and stop');
    assert.equal(run.ok, true, `${JSON.stringify(run.failure)}\n${run.lines.join('\n')}`);
    const batches = jsonLines<BatchLine>(run.lines, 'BATCH ');
    const first = batches.findIndex((b) => b.records > 0);
    assert.ok(first >= 0, `no batch had records:\n${run.lines.join('\n')}`);
    // The batches the driver program counted (it stops after BATCHES of them); the graceful stop's last ones after that may be short.
    const steady = batches.slice(first + SETTLING, first + BATCHES);
    assert.ok(steady.length >= BATCHES - SETTLING - 1, `${steady.length} steady batches`);
    const blocks = steady.map((b) => b.blocks);
    const total = blocks.reduce((a, b) => a + b, 0);
    t.diagnostic(`blocks per batch (ms late): ${batches.map((b) => `${b.blocks}/${b.records} (${b.late})`).join(' ')}; steady part ${blocks.join(' ')}, ${total} in ${steady.length} s`);
    // Blocks reported late (a replica slow to write, a driver held up) only move between
    // batches: over the steady part the count is one a block interval, give or take those at
    // its two ends and a tick skipped when the receiver's thread was held a whole interval.
    const want = (steady.length * BATCH_MS) / BLOCK_MS;
    assert.ok(total >= want - 5 && total <= want + 5, `${total} blocks in ${steady.length} batches of ${BATCH_MS} ms, want ${want} ± 5: ${blocks.join(' ')}`);
  });
});
