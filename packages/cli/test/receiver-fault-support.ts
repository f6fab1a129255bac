// What the receiver fault tests with their own driver process share (receiver-double-fault,
// receiver-driver-pause): the job (fixtures/stream-receiver-recovery.ts), submitting it
// detached, and its per-batch outputs read back.
import fs from 'node:fs';
import path from 'node:path';
import { fixture, runCli } from './harness.js';

export const RECEIVER_JOB = fixture('stream-receiver-recovery.ts');

/** The job's `<kind>-<time>.json` outputs in `out` ('input': a batch's lines; 'state': its word counts), by batch time. */
export function batchOutputs<T>(out: string, kind: string): Map<number, T> {
  const m = new Map<number, T>();
  for (const n of fs.readdirSync(out)) {
    const x = new RegExp(`^${kind}-(\\d+)\\.json$`).exec(n);
    if (x) m.set(Number(x[1]), JSON.parse(fs.readFileSync(path.join(out, n), 'utf8')) as T);
  }
  return m;
}

/** `sluice submit --detach` of the job; returns the job id it printed. */
export async function submitReceiverJob(driver: string, secret: string, args: readonly string[]): Promise<string> {
  const r = await runCli(['submit', RECEIVER_JOB, '--driver', driver, '--detach', '--', ...args], { env: { SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' } });
  const id = / as (\S+)$/m.exec(r.stderr)?.[1];
  if (r.code !== 0 || id === undefined) throw new Error(`submit failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return id;
}
