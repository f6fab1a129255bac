// `--supervise` (as spark-submit's): a job program that throws is started again as a new
// attempt under the same job id, a bounded number of times, with a log line per restart
// naming the reason; and no attempt reads what an earlier one left on the workers, even
// on workers that never got the earlier attempt's release.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { ErrorInfo } from '@sluice/driver';
import { bundleJob } from '../src/bundle-job.js';
import { ARTIFACTS, inPage, launchChromium } from './browser-support.js';
import { listJobs } from '../src/submit-client.js';
import { fixture, freePort, mulberry32, runCli, sleep, withCluster, within } from './harness.js';
import { RESTART_JOB, Feeder, checkAgainstFailureFree, firstBatches, jobArgs, jobDirs, linesTaken, readOutputs } from './restart-recovery-support.js';
import { pollUntil, randomSecret, startDriverProcess, startWorkerProcess } from './sluice-processes.js';

const rounds = (lines: readonly string[]): number[] => lines.filter((l) => l.startsWith('ROUND ')).map((l) => Number(l.split(' ')[2]));

test('a supervised job that throws restarts as attempt 2 under the same id, in fresh sandboxes even where attempt 1 was never released', { timeout: 90_000 }, async () => {
  await withCluster({ workers: 2, coresPerWorker: 1, logLevel: 'fatal' }, async (h) => {
    // These workers miss every release (as a worker unreachable when an attempt ends would):
    // only the attempt's own run id keeps attempt 2 out of attempt 1's sandboxes and blocks.
    const released: string[] = [];
    for (const w of h.cluster.driver.registry.all()) {
      w.endpoint.releaseJob = async (id: string): Promise<void> => void released.push(id);
    }
    const marker = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-test-supervise-')), 'crashed');
    const bundle = await bundleJob(fixture('attempt-probe.ts'));
    const job = h.cluster.driver.submit({ name: bundle.name, code: bundle.code, sourceMap: bundle.sourceMap, args: ['4', marker], supervise: true, maxRestarts: 2 });
    const lines: string[] = [];
    const restarts: [number, ErrorInfo][] = [];
    job.on('output', (l) => lines.push(l));
    job.on('restart', (attempt, reason) => restarts.push([attempt, reason]));
    const ended = new Promise<string>((r) => job.once('end', (state) => r(state)));
    const starts = (): number => lines.filter((l) => l.startsWith('START ')).length;
    await pollUntil(() => (starts() === 2 && rounds(lines.slice(lines.lastIndexOf(lines.filter((l) => l.startsWith('START ')).at(-1)!))).length >= 2) || undefined, 60_000, 'attempt 2 to run two rounds').catch((err: Error) => {
      throw new Error(`${err.message}; output so far:\n${lines.join('\n')}`, { cause: err });
    });
    const second = lines.lastIndexOf(lines.filter((l) => l.startsWith('START ')).at(-1)!);
    const before = rounds(lines.slice(0, second));
    const after = rounds(lines.slice(second));
    assert.equal(job.state, 'running');
    assert.equal(restarts.length, 1, JSON.stringify(restarts));
    assert.equal(restarts[0][0], 2);
    assert.match(restarts[0][1].message, /attempt-probe crashed on purpose at round 3/);
    // The same user-visible id in both attempts' programs; workers see another id for attempt 2.
    assert.deepEqual(lines.filter((l) => l.startsWith('START ')), [`START ${job.id}`, `START ${job.id}`]);
    assert.equal(job.attempt, 2);
    assert.deepEqual(released, [job.id, job.id], 'attempt 1 was released on both workers (and the release swallowed)');
    // Attempt 1 ran 3 rounds of 4 tasks on 2 workers: some sandbox counted to 6 or more.
    // Attempt 2's first round of 4 tasks counts to 4 at most in fresh sandboxes.
    assert.equal(before.length, 3, lines.join('\n'));
    assert.ok(before[2] >= 6, `attempt 1's last round saw ${before[2]}`);
    assert.ok(after[0] <= 4, `attempt 2's first round saw the counter at ${after[0]}: it ran in a sandbox of attempt 1\n${lines.join('\n')}`);
    assert.deepEqual(lines.filter((l) => l.startsWith('CACHED ')), ['CACHED 40', 'CACHED 40']);
    assert.equal(job.runId, `${job.id}.2`);
    job.requestStop(false);
    assert.equal(await within(ended, 60_000, 'the job to end'), 'stopped');
    fs.rmSync(path.dirname(marker), { recursive: true, force: true });
  });
});

test('sluice submit --supervise --max-restarts 2 of a job that always throws: 3 attempts under one id, a driver log line per restart with the reason and its back-off (--supervise-backoff-ms: the first wait, then doubled up to the cap), then the failure, saying to fix the code (a task that cannot reach a server: to check the server)', { timeout: 120_000 }, async () => {
  const secret = randomSecret();
  // Waits of 400 ms, then 600 (800 capped).
  const driver = await startDriverProcess(secret, ['--supervise-backoff-ms', '400,600,60000']);
  const worker = await startWorkerProcess(driver.address, secret);
  try {
    const env = { SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' };
    const since = Date.now();
    const r = await runCli(['submit', '--driver', driver.address, '--supervise', '--max-restarts', '2', fixture('always-throws.ts')], { env, timeoutMs: 60_000 });
    const until = Date.now();
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /bad record 13: cannot parse it/);
    // The attached submit says each restart: the attempt that failed, of 3, when and why, and the one that starts.
    const said = [...r.stderr.matchAll(/^sluice: job (job-\S+) attempt (\d) of (\d) failed at (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC: \[(\w+)\] (.*); --supervise starts attempt (\d) in (\S+ s)$/gm)];
    assert.deepEqual(said.map((m) => [m[2], m[3], m[7], m[8]]), [['1', '3', '2', '0.4 s'], ['2', '3', '3', '0.6 s']], r.stderr);
    for (const m of said) {
      assert.match(m[6], /bad record 13: cannot parse it/);
      const at = Date.parse(`${m[4].replace(' ', 'T')}Z`);
      assert.ok(at >= Math.floor(since / 1000) * 1000 && at <= until, `${m[4]} is not between the submit's start and end`);
    }
    const restartLines = driver.logLines.filter((l) => l.includes('restarting it in ')).map((l) => JSON.parse(l) as { jobId: string; reason: string; nextAttempt: number; delayMs: number; msg: string; time: number });
    assert.deepEqual(restartLines.map((l) => [l.nextAttempt, l.delayMs, l.msg]), [[2, 400, 'job failed; restarting it in 0.4 s (--supervise)'], [3, 600, 'job failed; restarting it in 0.6 s (--supervise)']]);
    // Each next attempt started no sooner than its wait after the failure (the driver's own log times).
    const started = driver.logLines.filter((l) => l.includes('"job attempt started"')).map((l) => JSON.parse(l) as { attempt: number; time: number });
    for (const l of restartLines) {
      const next = started.find((x) => x.attempt === l.nextAttempt);
      assert.ok(next && next.time - l.time >= l.delayMs - 20, `attempt ${l.nextAttempt} started ${next ? next.time - l.time : '-'} ms after the failure, its wait ${l.delayMs} ms`);
    }
    // Its restarts spent on a task of its code that throws: what to do, not only where it threw.
    assert.match(r.stderr, /\(--supervise has no restart left, and restarts do not get past a task of the job's code that throws: fix the code and submit it again\)/, r.stderr);
    for (const l of restartLines) assert.match(l.reason, /bad record 13/);
    const jobs = await listJobs(driver.address, { secret });
    assert.equal(jobs.length, 1, 'one job, however many attempts');
    assert.equal(jobs[0].state, 'failed');
    assert.equal(restartLines[0].jobId, jobs[0].job_id);
    assert.deepEqual(said.map((m) => m[1]), [jobs[0].job_id, jobs[0].job_id]);
    // Bad flags are refused before anything is sent.
    const bad = await runCli(['submit', '--driver', driver.address, '--max-restarts', '2', fixture('always-throws.ts')], { env });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /SLUICE_BAD_ARGUMENT.*--max-restarts needs --supervise/);
    assert.equal((await listJobs(driver.address, { secret })).length, 1);
    // A streaming job with a checkpoint directory: submitted again with it, it recovers.
    const ckpt = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-test-supervise-bad-record-'));
    try {
      const s = await runCli(['submit', '--driver', driver.address, '--supervise', '--max-restarts', '1', fixture('supervise-bad-record.ts'), ckpt], { env, timeoutMs: 60_000 });
      assert.equal(s.code, 1, s.stderr);
      assert.match(s.stderr, /cannot parse record 'bad'/, s.stderr);
      assert.ok(s.stderr.includes(`(--supervise has no restart left, and restarts do not get past a task of the job's code that throws: fix the code and submit it again with the same checkpoint directory (${ckpt}): it recovers from the last completed batch)`), s.stderr);
    } finally {
      fs.rmSync(ckpt, { recursive: true, force: true });
    }
    // A task that cannot reach a server (a port nothing listens on): the code is not at fault,
    // and a restart gets past it once the server answers; the advice says so, not "fix the code".
    const closed = await freePort();
    const down = await runCli(['submit', '--driver', driver.address, '--supervise', '--max-restarts', '1', fixture('task-connection-refused.ts'), String(closed)], { env, timeoutMs: 60_000 });
    assert.equal(down.code, 1, down.stderr);
    assert.match(down.stderr, new RegExp(`connect ECONNREFUSED 127\\.0\\.0\\.1:${closed}`), down.stderr);
    assert.ok(down.stderr.includes("(--supervise has no restart left: the last attempt's task could not reach a server (ECONNREFUSED), which a restart gets past once the server answers; check that it is up and reachable from the workers, then submit the job again, or give it more restarts (--max-restarts))"), down.stderr);
    assert.ok(!down.stderr.includes('fix the code'), down.stderr);
  } finally {
    await worker.stop();
    await driver.stop();
  }
});

test('a supervised job waiting out its back-off: `sluice jobs` and the REST application (supervisedRestart) say when its next attempt starts, and `sluice stop` ends it at once, no attempt started', { timeout: 90_000 }, async () => {
  const secret = randomSecret();
  // A minute's wait: far longer than anything below takes.
  const webPort = await freePort();
  const driver = await startDriverProcess(secret, ['--supervise-backoff-ms', '60000,60000,600000', '--web-port', String(webPort)]);
  const worker = await startWorkerProcess(driver.address, secret);
  try {
    const env = { SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' };
    const submittedAt = Date.now();
    const sub = await runCli(['submit', '--driver', driver.address, '--detach', '--supervise', '--max-restarts', '2', fixture('always-throws.ts')], { env });
    assert.equal(sub.code, 0, sub.stderr);
    const waiting = await pollUntil(async () => {
      const r = await runCli(['jobs', '--driver', driver.address], { env });
      return /^(job-\S+) attempt 1 failed; --supervise starts attempt 2 in (\d+(?:\.\d)?) s \(`sluice stop \1` stops it now\)$/m.exec(r.stdout) ?? undefined;
    }, 40_000, '`sluice jobs` to show the wait');
    const [, id, inS] = waiting;
    assert.ok(Number(inS) > 20 && Number(inS) <= 60, `next attempt in ${inS} s of a 60 s wait`);
    // The REST application says the same: attempt 1 failed after the submission, so attempt 2
    // starts 60 s after a moment between the submission and this request.
    type App = { state: string; supervisedRestart?: { failedAttempt: number; nextAttempt: number; startTime: string; startTimeEpoch: number; startsInMs: number } };
    const getApp = async (): Promise<App> => (await (await fetch(`http://127.0.0.1:${webPort}/api/v1/applications/${id}`)).json()) as App;
    const beforeAsk = Date.now();
    const app = await getApp();
    const r = app.supervisedRestart;
    assert.ok(r, JSON.stringify(app));
    assert.deepEqual([app.state, r.failedAttempt, r.nextAttempt], ['running', 1, 2]);
    assert.ok(r.startTimeEpoch >= submittedAt + 60_000 && r.startTimeEpoch <= Date.now() + 60_000, `starts at ${r.startTimeEpoch}: submitted ${submittedAt}, asked ${beforeAsk}`);
    assert.ok(r.startsInMs > 20_000 && r.startsInMs <= 60_000, `starts in ${r.startsInMs} ms`);
    assert.equal(new Date(r.startTime.replace('GMT', 'Z')).getTime(), r.startTimeEpoch);
    // The driver's jobs page (/) says it in the job's row, in a real browser.
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 700 } });
      await page.goto(`http://127.0.0.1:${webPort}/`);
      const row = await inPage<string>(page, `[...document.querySelectorAll('#jobs tbody tr')].map((tr) => tr.textContent).join('\\n')`);
      const shown = new RegExp(`attempt 1 failed; --supervise starts attempt 2 in (\\d+(?:\\.\\d)?) s \\(\`sluice stop ${id}\` stops it now\\)`).exec(row);
      assert.ok(shown, row);
      assert.ok(Number(shown[1]) > 20 && Number(shown[1]) <= 60, `next attempt in ${shown[1]} s of a 60 s wait`);
      await page.screenshot({ path: path.join(ARTIFACTS, 'supervise-backoff-jobs-page.png'), fullPage: true });
    } finally {
      await browser.close();
    }
    const asked = Date.now();
    const stop = await runCli(['stop', id!, '--driver', driver.address], { env });
    assert.equal(stop.code, 0, stop.stderr);
    await pollUntil(async () => ((await listJobs(driver.address, { secret }))[0]?.state === 'stopped' ? true : undefined), 10_000, 'the job to be stopped');
    assert.ok(Date.now() - asked < 10_000, 'the stop waited for the back-off');
    const jobs = await listJobs(driver.address, { secret });
    assert.deepEqual(jobs.map((j) => [j.state, j.attempt, Number(j.restart_in_ms)]), [['stopped', 1, 0]]);
    assert.equal((await getApp()).supervisedRestart, undefined, 'stopped: no restart to wait for');
    assert.equal(driver.logLines.filter((l) => l.includes('"job attempt started"')).length, 0, 'an attempt started after the stop');
    const after = await runCli(['jobs', '--driver', driver.address], { env });
    assert.doesNotMatch(after.stdout, /starts attempt/, after.stdout);
  } finally {
    await worker.stop();
    await driver.stop();
  }
});

test('a supervised stateful stream whose program throws mid-stream restarts from its checkpoint, after the failed attempt is gone: every batch equals a failure-free run', { timeout: 110_000 }, async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-test-supervise-stream-'));
  const d = jobDirs(root);
  const secret = randomSecret();
  const env = { SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' };
  const driver = await startDriverProcess(secret, ['--web-port', String(await freePort())]);
  const workers = [await startWorkerProcess(driver.address, secret), await startWorkerProcess(driver.address, secret)];
  let stopFeeding = (): void => undefined;
  try {
    const sub = await runCli(['submit', RESTART_JOB, '--driver', driver.address, '--detach', '--supervise', '--max-restarts', '1', '--', ...jobArgs(d, 500), path.join(root, 'crashed')], { env });
    assert.equal(sub.code, 0, sub.stderr);
    await pollUntil(() => (firstBatches(d.out).length > 0 ? true : undefined), 40_000, 'the first batch');
    const feeder = new Feeder(d, mulberry32(31));
    stopFeeding = feeder.every(120);
    await pollUntil(() => (firstBatches(d.out).length >= 2 ? true : undefined), 60_000, 'the second attempt to complete a batch');
    // Then every line fed up to a moment well after the restart is taken (a moving target,
    // `taken >= fed - 10`, raced the feed: with a file of 5 lines every 120 ms, a batch that
    // took over ~240 ms to write its output was always more than 10 lines behind).
    await pollUntil(() => (feeder.lines.length > 60 ? true : undefined), 40_000, 'more than 60 lines fed');
    const fedBefore = feeder.lines.length;
    await pollUntil(() => (linesTaken(d.out) >= fedBefore ? true : undefined), 40_000, `the second attempt to take the ${fedBefore} lines fed so far`);
    stopFeeding();
    const fed = [...feeder.lines];
    await pollUntil(() => (linesTaken(d.out) >= fed.length ? true : undefined), 30_000, `every fed line (${fed.length}) to be taken`);
    fs.writeFileSync(path.join(d.control, 'stop'), '');
    await pollUntil(async () => ((await listJobs(driver.address, { secret }))[0]?.state === 'succeeded' ? true : undefined), 30_000, 'the job to stop gracefully');
    const jobs = await listJobs(driver.address, { secret });
    assert.deepEqual(jobs.map((j) => j.attempt), [2]);
    // The job's figures are attempt 2's (README: "A relaunched job's figures count from its
    // relaunch"), as each attempt's own listener counted its batches; until 2026-12-07 (user61)
    // `sluice jobs` and the REST API went on counting from attempt 1's within one driver.
    const counted = fs.readdirSync(d.out).filter((n) => /^batches-\d+\.json$/.test(n)).map((n) => JSON.parse(fs.readFileSync(path.join(d.out, n), 'utf8')) as { programStart: number; batches: number }).sort((a, b) => a.programStart - b.programStart);
    assert.equal(counted.length, 2, JSON.stringify(counted));
    assert.ok(counted[0].batches >= 6, JSON.stringify(counted));
    assert.equal(jobs[0].batches_completed, counted[1].batches, `sluice jobs' BATCHES against each attempt's own count ${JSON.stringify(counted)}`);
    const web = /"url":"(http:[^"]+)"/.exec(driver.logLines.find((l) => l.includes('web UI listening')) ?? '')?.[1];
    assert.ok(web, 'the web UI address in the driver log');
    const stats = (await (await fetch(`${web}api/v1/applications/${jobs[0].job_id}/streaming/statistics`)).json()) as { numTotalCompletedBatches: number; numRetainedCompletedBatches: number };
    assert.equal(stats.numTotalCompletedBatches, counted[1].batches, JSON.stringify(stats));
    assert.equal(stats.numRetainedCompletedBatches, counted[1].batches, JSON.stringify(stats));
    const restart = driver.logLines.find((l) => l.includes('"msg":"job failed; restarting it in 2 s (--supervise)"'));
    assert.ok(restart && /restart-stateful crashed on purpose after 6 batches/.test(restart), driver.logLines.join('\n'));
    // Attempt 2 started only once attempt 1's thread (whose stream ran on) had exited.
    const order = driver.logLines.filter((l) => /"job attempt thread exited"|"job attempt started"/.test(l)).map((l) => {
      const j = JSON.parse(l) as { msg: string; attempt: number };
      return `${j.msg} ${j.attempt}`;
    });
    assert.deepEqual(order.slice(0, 2), ['job attempt thread exited 1', 'job attempt started 2']);
    const compared = checkAgainstFailureFree(readOutputs(d.out), fed);
    process.stdout.write(`# ${fed.length} lines fed, ${compared} records compared with the failure-free computation\n`);
  } finally {
    stopFeeding();
    for (const w of workers) await w.stop();
    await driver.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('sluice submit --supervise of a job whose every metadata checkpoint is damaged, or whose streams differ from its checkpoint\'s, fails at once, saying why it is not restarted; a failure a restart may fix is still restarted', { timeout: 120_000 }, async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-test-supervise-unusable-'));
  const secret = randomSecret();
  const driver = await startDriverProcess(secret);
  const worker = await startWorkerProcess(driver.address, secret);
  try {
    const env = { SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' };
    // A checkpoint directory whose one metadata checkpoint fails its checksum (a header whose sum does not match).
    const ckpt = path.join(root, 'ckpt');
    fs.mkdirSync(path.join(ckpt, 'metadata'), { recursive: true });
    fs.writeFileSync(path.join(ckpt, 'metadata', 'checkpoint-000000000007'), `SLUICE-METADATA 1 ${'0'.repeat(64)} 2\n{}`);
    const r = await runCli(['submit', '--driver', driver.address, '--supervise', '--max-restarts', '3', fixture('supervise-checkpoint.ts'), ckpt], { env, timeoutMs: 90_000 });
    assert.equal(r.code, 1, r.stderr);
    // One attempt: the program started once.
    assert.deepEqual(r.stdout.split('\n').filter((l) => l === 'ATTEMPT'), ['ATTEMPT'], `${r.stderr}\n${driver.logLines.filter((l) => l.includes('restart')).join('\n')}`);
    assert.match(r.stderr, /SLUICE_CHECKPOINT.*no usable metadata checkpoint in/, r.stderr);
    assert.match(r.stderr, /--supervise does not restart it: no metadata checkpoint of the directory is usable/, r.stderr);
    const restarted = (): string[] => driver.logLines.filter((l) => l.includes('"msg":"job failed; restarting it in '));
    assert.equal(restarted().length, 0, driver.logLines.join('\n'));
    const refused = driver.logLines.filter((l) => l.includes('not restarting it (--supervise)')).map((l) => JSON.parse(l) as { restartsLeft: number; code: string });
    assert.deepEqual(refused.map((l) => [l.code, l.restartsLeft]), [['SLUICE_CHECKPOINT', 3]]);
    const jobs = await listJobs(driver.address, { secret });
    assert.deepEqual(jobs.map((j) => [j.state, j.attempt]), [['failed', 1]]);

    // The same job on a fresh directory runs (the damage was the failure); a task's failure (always-throws) is restarted as before.
    const fresh = await runCli(['submit', '--driver', driver.address, '--supervise', fixture('supervise-checkpoint.ts'), path.join(root, 'fresh')], { env, timeoutMs: 90_000 });
    assert.equal(fresh.code, 0, fresh.stderr);
    // Its code changed (a window added) on that checkpoint: one attempt, refused as every attempt would be (user49 found 4).
    const changed = await runCli(['submit', '--driver', driver.address, '--supervise', '--max-restarts', '3', fixture('supervise-checkpoint.ts'), path.join(root, 'fresh'), 'changed'], { env, timeoutMs: 90_000 });
    assert.equal(changed.code, 1, changed.stderr);
    assert.deepEqual(changed.stdout.split('\n').filter((l) => l === 'ATTEMPT'), ['ATTEMPT'], `${changed.stderr}\n${driver.logLines.filter((l) => l.includes('restart')).join('\n')}`);
    assert.match(changed.stderr, /SLUICE_CHECKPOINT.*the job's streams differ from those of the checkpoint in .*WindowedDStream/, changed.stderr);
    // The code's stream named by the program's line that made it (the fixture's text gives line and column).
    const src = fs.readFileSync(fixture('supervise-checkpoint.ts'), 'utf8').split('\n');
    const wline = src.findIndex((l) => l.includes('counts.window(')) + 1;
    const wcol = src[wline - 1]!.indexOf('.window(') + 2;
    const file = fs.realpathSync(fixture('supervise-checkpoint.ts'));
    assert.ok(changed.stderr.includes(`, made by window at ${file}:${wline}:${wcol}`), changed.stderr);
    // The count() after it (5 internal streams) is named once, by its call, not once a stream.
    const ccol = src[wline - 1]!.indexOf('.count()') + 2;
    const message = /SLUICE_CHECKPOINT.*/.exec(changed.stderr)![0];
    assert.equal(message.split(`count at ${file}:${wline}:${ccol}`).length - 1, 1, message);
    assert.ok(message.includes(`count at ${file}:${wline}:${ccol} makes streams `), message);
    assert.doesNotMatch(message, /MappedDStream|ShuffledDStream|made by count/, message);
    assert.match(changed.stderr, /--supervise does not restart it: the job's streams differ from those its checkpoint recorded/, changed.stderr);
    assert.equal(restarted().length, 0, driver.logLines.join('\n'));
    const thrown = await runCli(['submit', '--driver', driver.address, '--supervise', '--max-restarts', '1', fixture('always-throws.ts')], { env, timeoutMs: 60_000 });
    assert.equal(thrown.code, 1, thrown.stderr);
    assert.doesNotMatch(thrown.stderr, /--supervise does not restart it/);
    assert.equal(restarted().length, 1, driver.logLines.join('\n'));
  } finally {
    await worker.stop();
    await driver.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('sluice submit --supervise of a job that fails at its start on a path that does not exist: restarted once, then stopped when the same failure repeats, saying so; a path that appears meanwhile runs', { timeout: 120_000 }, async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-test-supervise-start-'));
  const secret = randomSecret();
  const driver = await startDriverProcess(secret);
  const worker = await startWorkerProcess(driver.address, secret);
  try {
    const env = { SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' };
    const missing = path.join(root, 'no-such-input.txt');
    const r = await runCli(['submit', '--driver', driver.address, '--supervise', '--max-restarts', '3', fixture('supervise-start-failure.ts'), missing], { env, timeoutMs: 90_000 });
    assert.equal(r.code, 1, r.stderr);
    // Two attempts of the four --max-restarts 3 allows: the second met the first's failure again.
    assert.deepEqual(r.stdout.split('\n').filter((l) => l === 'ATTEMPT'), ['ATTEMPT', 'ATTEMPT'], `${r.stderr}\n${driver.logLines.filter((l) => l.includes('restart')).join('\n')}`);
    assert.match(r.stderr, /SLUICE_IO.*cannot read .*no-such-input\.txt.*ENOENT/, r.stderr);
    assert.match(r.stderr, /--supervise stopped restarting it after attempt 2, 2 restarts left unspent: the attempt before failed at its start the same way, before any batch completed, and the next attempt would start from the same input; fix it and submit the job again/, r.stderr);
    const restarted = driver.logLines.filter((l) => l.includes('"msg":"job failed; restarting it in '));
    assert.equal(restarted.length, 1, driver.logLines.join('\n'));
    const stopped = driver.logLines.filter((l) => l.includes('not restarting it (--supervise)')).map((l) => JSON.parse(l) as { restartsLeft: number; code: string; attempt: number });
    assert.deepEqual(stopped.map((l) => [l.code, l.attempt, l.restartsLeft]), [['SLUICE_IO', 2, 2]]);
    assert.deepEqual((await listJobs(driver.address, { secret })).map((j) => [j.state, j.attempt]), [['failed', 2]]);

    // The first such failure is still restarted: a path that appears meanwhile is read by attempt 2.
    const later = path.join(root, 'appears.txt');
    const ok = await runCli(['submit', '--driver', driver.address, '--supervise', '--max-restarts', '3', fixture('supervise-start-failure.ts'), later, 'appears'], { env, timeoutMs: 90_000 });
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(ok.stdout.split('\n').filter((l) => l === 'ATTEMPT' || l.startsWith('LINES ')), ['ATTEMPT', 'ATTEMPT', 'LINES 3'], ok.stderr);
  } finally {
    await worker.stop();
    await driver.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
});
