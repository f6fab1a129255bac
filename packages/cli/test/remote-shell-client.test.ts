// `sluice shell --driver HOST:PORT` (spark-shell --master spark://HOST:PORT) on a standing
// cluster of processes (a `sluice driver`, two `sluice worker`s), fed lines on a pipe: a count
// and a reduceByKey over sc.parallelize, each computed here from the words given; a const of one
// line used by a later one (on the workers, as a capture); an action that throws, after which
// the shell goes on; Ctrl-C (a SIGINT to the command) cancelling a running action; `.exit`
// ending the job; and the command killed -9 mid-action: the driver stops the job and its tasks
// end (the REST API and ListWorkers say so).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import { test } from 'node:test';
import { listWorkers } from '../src/submit-client.js';
import { CLI_BIN, freePort, mulberry32, pollUntil, within } from './harness.js';

const PROMPT = 'sluice> ';
const env = { ...process.env, SLUICE_SECRET: crypto.randomBytes(16).toString('hex'), SLUICE_SECRET_FILE: '', SLUICE_LOG_LEVEL: 'warn' };

function start(args: readonly string[], stdin: 'pipe' | 'ignore' = 'ignore'): ChildProcess {
  return spawn(process.execPath, [CLI_BIN, ...args], { env, stdio: [stdin, 'pipe', 'pipe'] });
}

interface Shell {
  readonly child: ChildProcess;
  out: string;
  err: string;
  readonly exited: Promise<number | null>;
  /** Type `line`; resolves with what the shell wrote before its next prompt. */
  type(line: string): Promise<string>;
}

function startShell(driver: string): Shell {
  const child = start(['shell', '--driver', driver], 'pipe');
  const sh: Shell = {
    child,
    out: '',
    err: '',
    exited: new Promise((r) => child.once('exit', (code) => r(code))),
    async type(line) {
      const from = sh.out.length;
      child.stdin!.write(line + '\n');
      await pollUntil(() => (sh.out.length > from && sh.out.endsWith(PROMPT) ? true : undefined), 90_000, `the prompt after ${line}\nstdout: ${sh.out}\nstderr: ${sh.err}`, 20);
      return sh.out.slice(from, -PROMPT.length).trim();
    },
  };
  child.stdout!.on('data', (d: Buffer) => (sh.out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (sh.err += d.toString()));
  return sh;
}

/** The driver's REST API's application (Spark's ApplicationInfo: a job) with this id. */
async function application(webPort: number, id: string): Promise<{ name: string; attempts: { completed: boolean }[] } | undefined> {
  const apps = (await (await fetch(`http://127.0.0.1:${webPort}/api/v1/applications`)).json()) as { id: string; name: string; attempts: { completed: boolean }[] }[];
  return apps.find((a) => a.id === id);
}

const runningTasks = async (driver: string): Promise<number> => (await listWorkers(driver, { secret: env.SLUICE_SECRET })).reduce((n, w) => n + w.running_tasks, 0);

/** A line that runs an action on `parts` partitions for `seconds` each (a busy loop on the workers). */
const busyAction = (parts: number, seconds: number): string => `sc.parallelize([${Array.from({ length: parts }, (_, i) => i).join(', ')}], ${parts}).map(x => { const t = Date.now(); while (Date.now() - t < ${seconds * 1000}); return x }).collect()`;

test('sluice shell --driver: a shell on a standing cluster; its input goes over the SubmitJob stream, its job ends with .exit or when the command is killed', { timeout: 240_000 }, async () => {
  const [port, webPort] = [await freePort(), await freePort()];
  const driver = `127.0.0.1:${port}`;
  const procs = [start(['driver', '--port', String(port), '--web-port', String(webPort), '--log-level', 'warn'])];
  const shells: Shell[] = [];
  try {
    for (let i = 0; i < 2; i++) procs.push(start(['worker', '--driver', driver, '--cores', '1', '--log-level', 'warn']));
    await pollUntil(async () => ((await listWorkers(driver, { secret: env.SLUICE_SECRET }).catch(() => [])).length === 2 ? true : undefined), 60_000, 'two workers registered', 200);

    const sh = startShell(driver);
    shells.push(sh);
    await pollUntil(() => (sh.out.endsWith(PROMPT) ? true : undefined), 90_000, `the first prompt\nstdout: ${sh.out}\nstderr: ${sh.err}`, 20);
    const jobId = /Sluice context available as 'sc' \(driver = 127\.0\.0\.1:\d+, job id = (\S+):/.exec(sh.out)?.[1];
    assert.ok(jobId, sh.out);
    // The web UI's REST API shows the shell as a running job named sluice-shell.
    const app = await application(webPort, jobId!);
    assert.equal(app?.name, 'sluice-shell');
    assert.equal(app?.attempts[0]?.completed, false);

    const rand = mulberry32(42);
    const vocabulary = ['spark', 'sluice', 'stream', 'batch', 'driver', 'worker', 'rdd'];
    const words = Array.from({ length: 200 + Math.floor(rand() * 100) }, () => vocabulary[Math.floor(rand() * vocabulary.length)]!);
    const expected = new Map<string, number>();
    for (const w of words) expected.set(w, (expected.get(w) ?? 0) + 3);

    assert.equal(await sh.type(`const words = ${JSON.stringify(words)}`), 'undefined');
    assert.equal(await sh.type('sc.parallelize(words, 3).count()'), String(words.length));
    // A const of one line, captured by a function of a later one and used on the workers.
    assert.equal(await sh.type('const weight = 3'), 'undefined');
    const counted = await sh.type('console.log(JSON.stringify(await sc.parallelize(words, 3).map(w => [w, weight]).reduceByKey((a, b) => a + b).collect()))');
    const pairs = JSON.parse(counted.split('\n')[0]!) as [string, number][];
    assert.deepEqual(new Map(pairs), expected);
    assert.equal(await sh.type('const n = await sc.parallelize(words, 2).filter(w => w === "spark").count()'), 'undefined');
    assert.equal(await sh.type('n * 10'), String(words.filter((w) => w === 'spark').length * 10));

    // An action that throws: its error is shown, and the shell goes on.
    const failed = await sh.type('sc.parallelize([1, 2], 2).map(x => { if (x === 2) throw new Error("boom-" + x); return x }).collect()');
    assert.match(failed, /SLUICE_TASK_FAILED/);
    assert.match(failed, /Error: boom-2/);
    assert.equal(await sh.type('n + 1'), String(words.filter((w) => w === 'spark').length + 1));

    // Ctrl-C (SIGINT to the command) cancels the running action; the prompt comes back.
    const from = sh.out.length;
    sh.child.stdin!.write(busyAction(2, 120) + '\n');
    await pollUntil(async () => ((await runningTasks(driver)) === 2 ? true : undefined), 60_000, 'the busy action running on both workers', 200);
    sh.child.kill('SIGINT');
    await pollUntil(() => (sh.out.length > from && sh.out.endsWith(PROMPT) ? true : undefined), 60_000, `the prompt after Ctrl-C\nstdout: ${sh.out}`, 20);
    assert.match(sh.out.slice(from), /Cancelling 1 running job \(Ctrl-C\)\.[\s\S]*SLUICE_CANCELLED/);
    assert.equal(await sh.type('1 + weight'), '4');

    sh.child.stdin!.write('.exit\n');
    assert.equal(await within(sh.exited, 60_000, 'the shell to exit after .exit'), 0, sh.err);
    await pollUntil(async () => ((await application(webPort, jobId!))?.attempts[0]?.completed ? true : undefined), 30_000, 'the shell job completed', 200);

    // The command killed -9 while an action runs: the driver stops the job and its tasks end.
    const gone = startShell(driver);
    shells.push(gone);
    await pollUntil(() => (gone.out.endsWith(PROMPT) ? true : undefined), 90_000, `the first prompt\nstdout: ${gone.out}\nstderr: ${gone.err}`, 20);
    const goneId = /job id = (\S+):/.exec(gone.out)?.[1];
    assert.ok(goneId, gone.out);
    gone.child.stdin!.write(busyAction(2, 120) + '\n');
    await pollUntil(async () => ((await runningTasks(driver)) === 2 ? true : undefined), 60_000, 'the busy action running on both workers', 200);
    gone.child.kill('SIGKILL');
    await pollUntil(async () => ((await application(webPort, goneId!))?.attempts[0]?.completed ? true : undefined), 30_000, 'the driver to end the job of the killed shell', 200);
    await pollUntil(async () => ((await runningTasks(driver)) === 0 ? true : undefined), 30_000, "the killed shell's tasks to end", 200);
  } finally {
    for (const s of shells) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    for (const p of procs.reverse()) p.kill('SIGKILL');
    await Promise.all(procs.map((p) => (p.exitCode !== null || p.signalCode !== null ? undefined : new Promise((r) => p.once('exit', r)))));
  }
});
