// The worker of a reliable receiver without the write-ahead log (its blocks replicated) frozen
// with SIGSTOP right after it reported a block, then woken (receiver-worker-pause.ts, the
// log-off case; stream-worker-pause.test.ts runs the log-on one): a file of its own, on a
// cluster of its own, so that each file stays well within the test timeout under load.
// Log off there is no seal: the woken receiver's late blocks are taken, and the lines its
// replacement was sent again count once only by their source positions.
import { test } from 'node:test';
import { receiverPauseTitle, receiverWorkerPause } from './receiver-worker-pause.js';
import { withFaultCluster } from './worker-fault-support.js';

test(receiverPauseTitle('nowal'), { timeout: 200_000 }, async (t) => {
  await withFaultCluster((h, procs) => receiverWorkerPause(t, h, procs, 'nowal'));
});
