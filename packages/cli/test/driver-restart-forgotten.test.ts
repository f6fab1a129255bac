// A driver restarted on its --state-dir has only the jobs it relaunched (those running when
// the earlier one stopped, as Spark's master recovery keeps running applications, not
// completed ones): `sluice jobs` says which earlier jobs it does not have, and `sluice stop`,
// `sluice attach`, the REST API and the UI say why a job of the earlier driver is not there
// (naming the restart and its time), not only "no such job". `sluice shell --driver` whose
// driver goes away says what became of its job: the driver no longer answering (killed), or
// restarted without it; a driver stopped under an attached client says the job stays
// registered for the next driver. Real processes: `sluice driver` (killed -9 and started again twice on
// one --state-dir and port), a `sluice worker`, `sluice submit`, `sluice shell`, on loopback.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { startSluice, stopSluice, until, type Proc } from './cli-process.js';
import { listJobs } from '../src/submit-client.js';
import { fixture, freePort, runCli, within } from './harness.js';

const env = { ...process.env, SLUICE_SECRET: crypto.randomBytes(16).toString('hex'), SLUICE_SECRET_FILE: '', SLUICE_LOG_LEVEL: 'warn' };

/** `2026-12-07 07:55:12 UTC` in `text` as ms since the epoch, or NaN. */
const utcIn = (text: string, after: string): number => {
  const m = new RegExp(`${after} (\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d) UTC`).exec(text);
  return m ? Date.parse(`${m[1].replace(' ', 'T')}Z`) : NaN;
};

test('a driver restarted on --state-dir says which earlier jobs it does not have and why; sluice shell --driver says what became of its job', { timeout: 180_000 }, async () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-forgotten-'));
  const port = await freePort();
  const webPort = await freePort();
  const addr = `127.0.0.1:${port}`;
  const procs: Proc[] = [];
  const driverArgs = ['driver', '--port', String(port), '--web-port', String(webPort), '--state-dir', stateDir, '--heartbeat-ms', '500', '--retained-jobs', '1'];
  /** A driver on the one port and state dir; resolves with when it was started (before) and ready (after). */
  const startDriver = async (): Promise<{ p: Proc; before: number; after: number }> => {
    const before = Date.now();
    const p = startSluice(driverArgs, env);
    procs.push(p);
    await until('the driver to answer', 60_000, () => listJobs(addr, { secret: env.SLUICE_SECRET }).then(() => true, () => false), 200);
    return { p, before: Math.floor(before / 1000) * 1000, after: Date.now() };
  };
  const killed = async (p: Proc): Promise<void> => {
    p.child.kill('SIGKILL');
    await within(p.exited, 20_000, 'the driver to die');
  };
  try {
    const first = await startDriver();
    procs.push(startSluice(['worker', '--driver', addr, '--cores', '2'], env));
    // job 1: a batch job that ends; job 2: a stream running at the kill; job 3: a shell.
    const batch = await runCli(['submit', '--driver', addr, fixture('submit-sum.ts'), '10'], { env, timeoutMs: 90_000 });
    assert.equal(batch.code, 0, batch.stderr);
    assert.match(batch.stdout, /^SUM 55 /m);
    const batchId = /submitted submit-sum\.ts as (job-\S+)/.exec(batch.stderr)?.[1];
    const stream = await runCli(['submit', '--detach', '--driver', addr, fixture('stream-idle.ts')], { env, timeoutMs: 90_000 });
    assert.equal(stream.code, 0, stream.stderr);
    const streamId = stream.stdout.trim();
    assert.deepEqual([batchId?.slice(0, 9), streamId.slice(0, 9)], ['job-0001-', 'job-0002-']);

    // The shell's driver killed -9, and not started again while the shell looks: it says the
    // driver does not answer (nothing lies about a driver stopping the job).
    const sh1 = startSluice(['shell', '--driver', addr], env, { stdinOpen: true });
    procs.push(sh1);
    await until('the first shell to greet', 60_000, () => sh1.stdout.some((l) => l.includes("Sluice context available as 'sc'")));
    const shell1Id = /job id = (job-\S+):/.exec(sh1.stdout.join('\n'))?.[1];
    assert.equal(shell1Id?.slice(0, 9), 'job-0003-');
    await killed(first.p);
    assert.equal(await within(sh1.exited, 30_000, 'the shell to end'), 1, sh1.stderr);
    assert.match(sh1.stderr, new RegExp(`lost the shell's stream from the driver at ${addr} \\(.*\\), and the driver does not answer either \\(.*\\): it was stopped or died, or it is out of reach from here \\(a network cut, a paused process\\)\\. Either way the shell's job ${shell1Id} is gone, .*start \`sluice shell --driver ${addr}\` again once it answers`));

    const second = await startDriver();
    // sluice jobs: the relaunched stream, and a line naming the earlier jobs 1 and 3 (the ended
    // batch job and the shell) as not there, with when this driver started.
    const jobs = await runCli(['jobs', '--driver', addr], { env });
    assert.equal(jobs.code, 0, jobs.stderr);
    const rows = jobs.stdout.split('\n').filter((l) => l.startsWith('job-'));
    assert.deepEqual(rows.map((r) => r.split(/\s+/)[0]), [streamId]);
    assert.match(jobs.stdout, new RegExp(`\\nNot listed: this driver started at .* UTC on the --state-dir ${stateDir} of an earlier driver: it relaunched the job running when that one stopped, and has nothing of its 2 jobs numbered 1, 3, which had ended`));
    // How long it is said: until --retained-jobs (1) jobs ended here, when those would have left the list.
    assert.match(jobs.stdout, /a restarted driver keeps no ended job \(README: Driver restarts\)\. Said until a job ends here, when they would have left this list \(--retained-jobs 1\)\n$/);
    const front = (await (await fetch(`http://127.0.0.1:${webPort}/`)).text()).replaceAll('&#39;', "'");
    assert.match(front, /<p id="earlier-jobs">Not here: this driver started at .* UTC on the --state-dir .* has nothing of its 2 jobs numbered 1, 3, which had ended/);
    const startedAt = utcIn(jobs.stdout, 'this driver started at');
    assert.ok(startedAt >= second.before && startedAt <= second.after, `the start time ${startedAt} between ${second.before} and ${second.after}`);

    // The ended batch job, named to sluice stop, sluice attach, the REST API and the UI.
    const why = new RegExp(`job-0001 was submitted to an earlier driver on its --state-dir ${stateDir}, before this driver started at [-0-9: ]+ UTC: a restarted driver relaunches only the jobs that were running when the earlier one stopped`);
    const stop = await runCli(['stop', batchId!, '--driver', addr], { env });
    assert.equal(stop.code, 1, stop.stderr);
    assert.match(stop.stderr, new RegExp(`^error \\[SLUICE_BAD_ARGUMENT\\]: the driver at ${addr} has no job '${batchId}': `));
    assert.match(stop.stderr, why);
    assert.equal(utcIn(stop.stderr, 'before this driver started at'), startedAt);
    const attach = await runCli(['attach', batchId!, '--driver', addr], { env });
    assert.equal(attach.code, 1, attach.stderr);
    assert.match(attach.stderr, why);
    const rest = await fetch(`http://127.0.0.1:${webPort}/api/v1/applications/${batchId}`);
    assert.equal(rest.status, 404);
    assert.match(((await rest.json()) as { error: string }).error, why);
    const page = await fetch(`http://127.0.0.1:${webPort}/jobs/${batchId}/`);
    assert.equal(page.status, 404);
    assert.match((await page.text()).replaceAll('&#39;', "'"), why);
    // The stream's id with another suffix: the job of that number is named.
    const typo = await runCli(['stop', `${streamId.slice(0, 9)}ffffff`, '--driver', addr], { env });
    assert.equal(typo.code, 1);
    assert.match(typo.stderr, new RegExp(`the job it numbered 2 is ${streamId} \\(is the id mistyped\\?\\)`));

    // A shell whose driver is killed and started again before the shell notices (it is
    // stopped meanwhile): it says the driver was restarted without the shell's job.
    const sh2 = startSluice(['shell', '--driver', addr], env, { stdinOpen: true });
    procs.push(sh2);
    await until('the second shell to greet', 60_000, () => sh2.stdout.some((l) => l.includes("Sluice context available as 'sc'")));
    const shell2Id = /job id = (job-\S+):/.exec(sh2.stdout.join('\n'))?.[1];
    assert.equal(shell2Id?.slice(0, 9), 'job-0004-');
    sh2.child.kill('SIGSTOP');
    await killed(second.p);
    const third = await startDriver();
    sh2.child.kill('SIGCONT');
    assert.equal(await within(sh2.exited, 30_000, 'the second shell to end'), 1, sh2.stderr);
    assert.match(sh2.stderr, new RegExp(`lost the shell's stream from the driver at ${addr} \\(.*\\): the driver was restarted, and the new one has no job ${shell2Id}: a restarted driver does not relaunch a shell's job`));
    // The second shell's number was kept in the state dir though its job was not: the third
    // driver names it as the job of the earlier driver it does not have; jobs 1 and 3, of the
    // driver before, which the second driver told of, are not named again.
    const jobs3 = await runCli(['jobs', '--driver', addr], { env });
    assert.match(jobs3.stdout, /\nNot listed: .* has nothing of its job numbered 4, which had ended/);
    assert.equal(jobs3.stdout.split('Not listed:').length - 1, 1, jobs3.stdout);
    assert.ok(utcIn(jobs3.stdout, 'this driver started at') >= third.before);
    // Jobs 5 and 6 end on this driver, which keeps its last finished one (--retained-jobs 1).
    const ids: string[] = [];
    for (const n of [3, 4]) {
      const r = await runCli(['submit', '--driver', addr, fixture('submit-sum.ts'), String(n)], { env, timeoutMs: 90_000 });
      assert.equal(r.code, 0, r.stderr);
      ids.push(/submitted submit-sum\.ts as (job-\S+)/.exec(r.stderr)![1]);
    }
    assert.deepEqual(ids.map((id) => id.slice(0, 9)), ['job-0005-', 'job-0006-']);
    const evicted = await runCli(['attach', ids[0], '--driver', addr], { env });
    assert.equal(evicted.code, 1);
    assert.match(evicted.stderr, /job-0005 ended and is no longer kept: this driver keeps its last finished job \(sluice driver --retained-jobs\)/);
    assert.deepEqual((await listJobs(addr, { secret: env.SLUICE_SECRET })).map((j) => j.job_id).sort(), [ids[1], streamId].sort());
    // A job ended here (--retained-jobs 1): job 4 would have left the list, and the note goes.
    const jobs4 = await runCli(['jobs', '--driver', addr], { env });
    assert.equal(jobs4.code, 0, jobs4.stderr);
    assert.doesNotMatch(jobs4.stdout, /Not listed/);
    assert.ok(!(await (await fetch(`http://127.0.0.1:${webPort}/`)).text()).includes('earlier-jobs'), 'nor on the front page');

    // The driver stopped (SIGINT, as SIGTERM) under an attached client of the relaunched
    // stream: the job's end says the driver is stopping and that the next one relaunches it.
    const follow = startSluice(['attach', streamId, '--driver', addr], env);
    procs.push(follow);
    await until('the attach to print the relaunched attempt\'s line', 60_000, () => follow.stdout.includes('STARTED'));
    await stopSluice(third.p);
    assert.equal(await within(follow.exited, 30_000, 'the attach to end'), 1, follow.stderr);
    assert.match(follow.stderr, new RegExp(`job ${streamId} was cancelled: the driver is stopping; the job stays registered in its --state-dir ${stateDir}, so a driver started again there relaunches it under this id`));
  } finally {
    for (const p of procs.reverse()) {
      if (p.child.signalCode === null && p.child.exitCode === null) p.child.kill('SIGCONT');
      await stopSluice(p);
    }
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
});
