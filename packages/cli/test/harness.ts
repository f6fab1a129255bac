import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleJob } from '../src/bundle-job.js';
import { LocalCluster, type LocalClusterOptions } from '../src/local-cluster.js';
import { createRootLogger } from '../src/logger.js';
import type { JobOutcome } from '../src/submit-client.js';

/** packages/cli (tests run from packages/cli/dist/test). */
export const CLI_DIR = fileURLToPath(new URL('../../', import.meta.url));
export const CLI_BIN = path.join(CLI_DIR, 'bin', 'sluice.js');
export const REPO_DIR = path.resolve(CLI_DIR, '..', '..');

/** Source path of a fixture job (fixtures stay .ts: the CLI bundles them). */
export function fixture(name: string): string {
  return path.join(CLI_DIR, 'test', 'fixtures', name);
}

export interface ClusterHandle {
  readonly cluster: LocalCluster;
  run(file: string, args?: readonly string[]): Promise<JobRun>;
}

export interface JobRun extends JobOutcome {
  readonly lines: string[];
}

/** Start a driver (in this process) and `workers` worker processes; always stopped after `fn`. */
export async function withCluster<T>(opts: Partial<LocalClusterOptions> & { workers?: number }, fn: (h: ClusterHandle) => Promise<T>): Promise<T> {
  const log = createRootLogger(process.env.SLUICE_TEST_LOG ?? 'silent', { pretty: false });
  const cluster = new LocalCluster({ workers: 2, coresPerWorker: 1, logLevel: process.env.SLUICE_TEST_LOG ?? 'warn', log, ...opts });
  await cluster.start();
  try {
    return await fn({
      cluster,
      async run(file, args = []) {
        const bundle = await bundleJob(file);
        const job = cluster.driver.submit({ name: bundle.name, code: bundle.code, sourceMap: bundle.sourceMap, args });
        const lines: string[] = [];
        job.on('output', (l) => lines.push(l));
        return new Promise<JobRun>((resolve) => job.once('end', (state, error) => resolve({ jobId: job.id, ok: state === 'succeeded', failure: error, lines })));
      },
    });
  } finally {
    await cluster.stop();
  }
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

/** Run the `sluice` CLI as a user would, with a hard timeout so a hang fails the test. */
export function runCli(args: readonly string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], { env: { ...process.env, ...opts.env }, cwd: opts.cwd ?? REPO_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 60_000);
    child.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

/** The JSON value a fixture printed on a line starting with `prefix`. */
export function jsonLine<T>(lines: readonly string[], prefix: string): T {
  const l = lines.find((x) => x.startsWith(prefix));
  if (l === undefined) throw new Error(`no line starting with '${prefix}' in:\n${lines.join('\n')}`);
  return JSON.parse(l.slice(prefix.length)) as T;
}
