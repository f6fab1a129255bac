// What the driver-fault tests of fixtures/recover-job.ts share (driver-recovery,
// kafka-checkpoint-kill, kafka-disk-full, kafka-driver-pause): a `sluice driver` process and 2
// `sluice worker`s on loopback, the job submitted with its arguments, and after a kill of the
// driver a driver started again on the same port, the workers registered again with it, and
// the same job submitted again.
import { fixture } from './job-runner.js';
import { freePort, pollUntil, randomSecret, spawnSluice, startWorker, submitDetached, type SluiceProcess } from './sluice-process.js';
import type { KafkaTestCluster } from './support/kafka-test-cluster.js';

export interface RecoverJobRun {
  /** The driver now running (the one started last). */
  driver: SluiceProcess;
  /** A driver started again on the same port once the last one is gone; the workers register with it and the job is submitted again. */
  restart(): Promise<void>;
}

/**
 * Starts the driver (with `driverArgs`) and 2 workers, pushing each process to `procs` (for the
 * file's clean-up), and submits recover-job.ts reading `topic` at 200 records/s a partition
 * (at most 100 a partition a 500 ms batch) with `groupId`, checkpointing to `ckpt`, writing `out`
 * (`job`: more of the fixture's arguments).
 */
export async function startRecoverJob(kafka: Pick<KafkaTestCluster, 'bootstrap'>, o: { topic: string; groupId: string; ckpt: string; out: string; job?: Record<string, unknown> }, procs: SluiceProcess[], driverArgs: readonly string[] = []): Promise<RecoverJobRun> {
  const secret = randomSecret();
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const startDriver = (): Promise<SluiceProcess> => spawnSluice(['driver', '--port', String(port), '--web-port', '0', '--log-level', 'info', ...driverArgs], secret, /driver listening/);
  const args = [JSON.stringify({ brokers: kafka.bootstrap, topics: [o.topic], groupId: o.groupId, ckpt: o.ckpt, out: o.out, batchMs: 500, maxRatePerPartition: 200, ...o.job })];
  const run: RecoverJobRun = {
    driver: await startDriver(),
    restart: async () => {
      const driver = await startDriver();
      procs.push(driver);
      run.driver = driver;
      await pollUntil(() => (driver.logLines.filter((l) => l.includes('"worker joined"')).length >= 2 ? true : undefined), 30_000, 'the workers to register again');
      await submitDetached(address, secret, fixture('recover-job.ts'), args);
    },
  };
  procs.push(run.driver);
  for (let i = 0; i < 2; i++) procs.push(await startWorker(address, secret));
  await submitDetached(address, secret, fixture('recover-job.ts'), args);
  return run;
}
