// A worker process given a fixed worker id, as a program embedding Sluice's worker does
// (WorkerNode's workerId; `sluice worker` gives every process a new random id). Run as
// `node fixed-id-worker-process.js <driver host:port> <worker id>` with the cluster secret in
// SLUICE_SECRET; prints `REGISTERED <id>` once registered; leaves as `sluice worker` does when
// the driver decommissions it (exit 0). exclude-worker-restart.test starts it twice.
import { WorkerNode } from '@sluice/worker';
import { createRootLogger } from '../src/logger.js';
import { cliThreadCode } from '../src/cli-code.js';

const [driver, workerId] = process.argv.slice(2);
const log = createRootLogger(process.env.SLUICE_TEST_LOG ?? 'warn', { pretty: false });
let leaving = false;
const worker: WorkerNode = new WorkerNode({
  driver,
  workerId,
  cores: 2,
  security: { secret: process.env.SLUICE_SECRET ?? '' },
  log,
  taskThreadCode: cliThreadCode('task'),
  onDecommissionRequested: () => {
    if (leaving) return;
    leaving = true;
    void worker.decommission().then(
      () => worker.stop().then(() => process.exit(0)),
      () => process.exit(1),
    );
  },
});
process.on('SIGTERM', () => void worker.stop().then(() => process.exit(0)));
await worker.start();
process.stdout.write(`REGISTERED ${workerId}\n`);
