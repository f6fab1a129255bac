// `sluice shell --driver` whose connection to the driver drops while the driver runs on: the
// command says what happened, as it can know it. A blip (the link reset and back at once): the
// driver answers when asked, has the job, so the command says only the connection dropped and
// that the driver stops the shell's job (which it then does, checked straight with the driver).
// A cut that lasts: the driver does not answer through it, which does not tell a dead driver
// from one out of reach, so the command says both and that the job is gone either way (the
// driver, asked straight, shows it stopped). Before, the second was told "it was stopped or
// died", with the driver up. And the driver paused (SIGSTOP) past the stream's keepalive, then
// resumed: the words of the lasting cut, and the job stopped once it runs. Real processes: `sluice driver`, `sluice shell --driver` through
// a TCP proxy (tcp-proxy.ts) on loopback.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { test } from 'node:test';
import { startSluice, stopSluice, until, type Proc } from './cli-process.js';
import { listJobs } from '../src/submit-client.js';
import { freePort, within } from './harness.js';
import { TcpProxy } from './tcp-proxy.js';

const env = { ...process.env, SLUICE_SECRET: crypto.randomBytes(16).toString('hex'), SLUICE_SECRET_FILE: '', SLUICE_LOG_LEVEL: 'warn' };

test('the connection of `sluice shell --driver` lost, the driver up: a blip says the connection dropped; a lasting cut says the driver may be up or gone, the job gone either way', { timeout: 300_000 }, async () => {
  const port = await freePort();
  const addr = `127.0.0.1:${port}`;
  const procs: Proc[] = [];
  const proxy = await TcpProxy.start('127.0.0.1', 0, { host: '127.0.0.1', port });
  const secret = { secret: env.SLUICE_SECRET };
  const stateOf = async (id: string): Promise<string | undefined> => (await listJobs(addr, secret)).find((j) => j.job_id === id)?.state;
  const shell = async (): Promise<{ sh: Proc; id: string }> => {
    // Its stdin open: at its end the shell would leave (its job succeeded) before the cut.
    const sh = startSluice(['shell', '--driver', proxy.address], env, { stdinOpen: true });
    procs.push(sh);
    await until('the shell to greet', 90_000, () => sh.stdout.some((l) => l.includes("Sluice context available as 'sc'")));
    const id = /job id = (job-\S+):/.exec(sh.stdout.join('\n'))![1];
    let seen = '';
    try {
      await until('the shell job to run', 90_000, async () => {
        seen = JSON.stringify((await listJobs(addr, secret)).map((j) => [j.job_id, j.state]));
        return (await stateOf(id)) === 'running';
      });
    } catch (e) {
      throw new Error(`${(e as Error).message}: ${id} among ${seen}; shell stdout ${sh.stdout.join('|')} stderr ${sh.stderr}`);
    }
    return { sh, id };
  };
  try {
    const driver = startSluice(['driver', '--port', String(port), '--web-port', '0'], env);
    procs.push(driver);
    await until('the driver to answer', 60_000, () => listJobs(addr, secret).then(() => true, () => false), 200);

    // A blip: every connection reset, and the link back at once.
    const a = await shell();
    proxy.cut();
    proxy.heal();
    assert.equal(await within(a.sh.exited, 30_000, 'the first shell to end'), 1, a.sh.stderr);
    const again = `start \`sluice shell --driver ${proxy.address}\` again`;
    assert.match(
      a.sh.stderr,
      new RegExp(`lost the shell's stream from the driver at ${proxy.address} \\(.*\\), though the driver is up \\(it answered\\): the connection dropped\\. The driver (stops the shell's job ${a.id} as it sees the stream gone|stopped the shell's job ${a.id}, its stream gone), so what was defined in it is gone: ${again.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
    );
    assert.doesNotMatch(a.sh.stderr, /stopped or died/);
    await until('the driver to stop the first shell\'s job, as said', 30_000, async () => (await stateOf(a.id)) !== 'running');
    assert.equal(await stateOf(a.id), 'stopped');

    // A lasting cut: the driver does not answer through it while it runs on.
    const b = await shell();
    proxy.cut();
    assert.equal(await within(b.sh.exited, 60_000, 'the second shell to end'), 1, b.sh.stderr);
    assert.match(
      b.sh.stderr,
      new RegExp(
        `lost the shell's stream from the driver at ${proxy.address} \\(.*\\), and the driver does not answer either \\(.*\\): it was stopped or died, or it is out of reach from here \\(a network cut, a paused process\\)\\. ` +
          `Either way the shell's job ${b.id} is gone, and what was defined in it: a driver stops a shell's job once its stream is lost`,
      ),
    );
    // The driver, asked straight: up, and the job stopped, as said.
    await until('the driver to stop the second shell\'s job', 30_000, async () => (await stateOf(b.id)) !== 'running');
    assert.equal(await stateOf(b.id), 'stopped');
    proxy.heal();

    // The driver paused (SIGSTOP) past the stream's keepalive (a ping every 10 s, 5 s for its
    // answer), and resumed only once the shell ended: the same words, the job stopped once the
    // driver runs again and sees the stream gone.
    const c = await shell();
    driver.child.kill('SIGSTOP');
    try {
      assert.equal(await within(c.sh.exited, 90_000, 'the third shell to end'), 1, c.sh.stderr);
    } finally {
      driver.child.kill('SIGCONT');
    }
    assert.match(c.sh.stderr, new RegExp(`lost the shell's stream from the driver at ${proxy.address} \\(.*\\), and the driver does not answer either \\(.*\\): it was stopped or died, or it is out of reach from here \\(a network cut, a paused process\\)\\. Either way the shell's job ${c.id} is gone`));
    await until('the resumed driver to stop the third shell\'s job', 60_000, async () => (await stateOf(c.id).catch(() => 'running')) !== 'running');
    assert.equal(await stateOf(c.id), 'stopped');
  } finally {
    for (const p of procs.reverse()) {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGCONT');
      await stopSluice(p);
    }
    await proxy.close();
  }
});
