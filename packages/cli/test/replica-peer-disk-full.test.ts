// A receiver's replica peer whose store fails (faults42): the peer's --local-dir is a full
// 16 MiB tmpfs and its --memory 1 (MiB), so a replica that pushes an older block out of its
// memory cannot spill there and its BlockManager.put throws. The peer answers that PutBlock
// with RESOURCE_EXHAUSTED naming its local directory and the fix, and stays up (before, the
// throw in the call's 'end' event ended the worker process); the receiver's worker treats it
// as a refused replica, not a lost peer: one warning with the peer's words, a count once the
// peer takes a replica again, the block kept on its own worker. Spark: putBlockData failing on
// the remote side fails that one upload (BlockManager.replicate tries another peer).
// Real processes: a driver in this process, worker A (the receiver's, preferred) with its
// defaults and worker B (the peer) on the tmpfs; fixtures/disk-full.ts's receiver-memory mode
// stores ~790 KB a step, its batches wait for `go`, so the replicas stay in B's memory.
// Mounting needs root: outside CI the test skips without it.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fillDisk, mountTmpfs, unmountTmpfs } from '@sluice/test-disk';
import { addWorkers } from './cluster-workers.js';
import { bigReceiverLines } from './fixtures/disk-full.js';
import { cancelIfRunning, fixture, jsonLines, pollUntil, startJob, within, withCluster, type RunningJob } from './harness.js';

const REFUSED = 'refused a replica of a received block';
const TAKEN_AGAIN = 'takes a replica of a received block again, after refusing ';
const PEER_REFUSED = 'cannot store a block sent by a peer';
const PEER_AGAIN = 'blocks sent by peers stored again, after ';
const LOST = 'cannot replicate received block; skipping that worker';

/** Each JSON line of `p`'s stderr, as it comes. */
function stderrLines(p: ChildProcess): string[] {
  const lines: string[] = [];
  let rest = '';
  p.stderr!.on('data', (d: Buffer) => {
    const parts = (rest + d.toString('utf8')).split('\n');
    rest = parts.pop()!;
    lines.push(...parts);
  });
  return lines;
}

test("a replica peer whose full --local-dir makes its store throw: it answers RESOURCE_EXHAUSTED naming the directory and stays up; the receiver logs the refusal once, keeps the block, and every line is counted once", { timeout: 180_000 }, async (t) => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-test-replica-disk-full-'));
  const disk = path.join(tmp, 'disk');
  const cannotMount = mountTmpfs(disk);
  if (cannotMount) {
    fs.rmSync(tmp, { recursive: true, force: true });
    return t.skip(cannotMount);
  }
  const filler = path.join(disk, 'filler');
  try {
    const localDir = path.join(disk, 'local');
    fs.mkdirSync(localDir);
    await withCluster({ workers: 0, coresPerWorker: 2, logLevel: 'warn', workerStderr: 'pipe' }, async (h) => {
      const procs = new Map<string, ChildProcess>();
      await addWorkers(h, 1, procs);
      const [receiverId] = [...procs.keys()];
      await addWorkers(h, 1, procs, ['--local-dir', localDir, '--memory', '1']);
      const [peerId, peer] = [...procs].find(([id]) => id !== receiverId)!;
      const receiverLog = stderrLines(procs.get(receiverId)!);
      const peerLog = stderrLines(peer);
      const peerExit: string[] = [];
      peer.once('exit', (code, signal) => peerExit.push(`${signal ?? code}`));
      // The fixture's bundle on both workers while there is space (a task on the full peer
      // would fail writing it).
      const warm = await startJob(h.cluster, fixture('disk-full.ts'), ['shuffle', '1000']);
      const warmRun = await within(warm.done, 60_000, 'the warm-up job');
      assert.equal(warmRun.ok, true, JSON.stringify(warmRun.failure));
      const ctl = path.join(tmp, 'ctl');
      fs.mkdirSync(ctl);
      const receive = async (n: number): Promise<string> => {
        fs.writeFileSync(path.join(ctl, `recv-${n}`), '');
        const done = path.join(ctl, `recv-${n}.done`);
        await pollUntil(() => fs.existsSync(done) || undefined, 30_000, `store ${n} to settle`, 20);
        return fs.readFileSync(done, 'utf8');
      };
      let job: RunningJob | undefined;
      try {
        job = await startJob(h.cluster, fixture('disk-full.ts'), ['receiver-memory', ctl, receiverId]);
        const running = job;
        const seen = (): string[] => jsonLines<string[]>(running.lines, 'LINES ').flat().sort();
        await job.waitLine('STARTED', 30_000);
        fillDisk(filler);
        // Step 1's replica fits in the peer's memory; steps 2 and 3 push it out to the full
        // disk: refused there, stored on the receiver's worker alone, store() resolves.
        for (const n of [1, 2, 3]) assert.equal(await receive(n), 'ok', `store ${n}`);
        const refusedLine = await pollUntil(() => receiverLog.find((l) => l.includes(REFUSED)), 30_000, "the receiver's worker to log the refusal");
        fs.rmSync(filler, { force: true });
        fs.writeFileSync(path.join(ctl, 'go'), '');
        await pollUntil(() => seen().length >= 3 * bigReceiverLines(1).length || undefined, 60_000, 'steps 1-3 in batches');
        // Space back: the next replica is taken.
        assert.equal(await receive(4), 'ok', 'store 4');
        const againLine = await pollUntil(() => receiverLog.find((l) => l.includes(TAKEN_AGAIN)), 30_000, 'the receiver to say the peer takes replicas again');
        const want = [1, 2, 3, 4].flatMap(bigReceiverLines).sort();
        await pollUntil(() => seen().length >= want.length || undefined, 60_000, 'step 4 in a batch');
        fs.writeFileSync(path.join(ctl, 'stop'), '');
        const run = await within(job.done, 60_000, 'the stream to stop');
        assert.equal(run.ok, true, JSON.stringify(run.failure));
        assert.deepEqual(seen(), want, 'every stored line counted once');

        assert.deepEqual(peerExit, [], 'the peer did not exit');
        assert.ok(h.cluster.driver.registry.get(peerId) !== undefined, 'the peer is still registered');
        const refused = JSON.parse(refusedLine) as { peer: string; status: string; reason: string };
        assert.equal(refused.peer, peerId);
        assert.equal(refused.status, 'RESOURCE_EXHAUSTED', 'a full disk is RESOURCE_EXHAUSTED');
        assert.match(refused.reason, /^worker cannot store block input_\S+: disk full: cannot write .* to '/, refused.reason);
        assert.ok(refused.reason.includes(localDir), `the reason names the peer's local directory: ${refused.reason}`);
        assert.match(refused.reason, /--local-dir on a larger disk/);
        assert.equal(receiverLog.filter((l) => l.includes(REFUSED)).length, 1, `the refusals logged once:\n${receiverLog.filter((l) => l.includes(REFUSED)).join('\n')}`);
        assert.deepEqual(receiverLog.filter((l) => l.includes(LOST)), [], 'the refusing peer is not treated as lost');
        const again = JSON.parse(againLine) as { peer: string; blocks: number };
        assert.equal(again.peer, peerId);
        // Steps 2 and 3 (and step 1 too where the warm-up's map outputs were still in the peer's memory).
        assert.ok(again.blocks >= 2 && again.blocks <= 3, `${again.blocks} refusals counted (2 or 3 expected)`);
        assert.equal(peerLog.filter((l) => l.includes(PEER_REFUSED)).length, 1, `the peer logs its first refusal only:\n${peerLog.filter((l) => l.includes(PEER_REFUSED)).join('\n')}`);
        const peerAgain = peerLog.find((l) => l.includes(PEER_AGAIN));
        assert.ok(peerAgain !== undefined && (JSON.parse(peerAgain) as { blocks: number }).blocks === again.blocks, `the peer counts the same refusals: ${peerAgain}`);
        t.diagnostic(`${again.blocks} replicas refused by the full peer, each stored on the receiver's worker alone; ${want.length} lines counted once`);
      } finally {
        fs.rmSync(filler, { force: true });
        for (const f of ['go', 'stop']) fs.writeFileSync(path.join(ctl, f), '');
        await cancelIfRunning(h.cluster, job);
      }
    });
  } finally {
    unmountTmpfs(disk);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
