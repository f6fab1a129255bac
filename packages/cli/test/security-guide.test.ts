// Spark's Security guide (docs/security.md), ported as a user would: what of it applies to a
// standing Sluice cluster, run as real processes on loopback (driver, a worker, the CLI).
// - RPC authentication (spark.authenticate + a secret file): a wrong or missing secret is
//   refused with a clear error, and the job running meanwhile loses nothing.
// - Encryption (spark.ssl.*): every RPC over TLS, and the web UI / REST API / /metrics over
//   HTTPS with the same certificate (spark.ssl.ui), so the secret a REST POST carries never
//   crosses the network in clear; a POST without the secret is refused.
// - Redaction (spark.redaction.regex): neither the cluster secret nor a credential given to a
//   job appears in the logs, the UI pages, the REST answers, `sluice jobs` or `sluice workers`.
// - Local storage (event log / local dir permissions): what the driver keeps in --state-dir
//   (the jobs' arguments and code) and the worker's scratch dir are the owner's only.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { CLI_BIN, fixture, freePort, pollUntil, runCli } from './harness.js';

interface Answer {
  readonly status: number;
  readonly body: string;
}

function request(url: string, opts: { method?: string; ca?: Buffer; headers?: Record<string, string> }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const lib = url.startsWith('https:') ? https : http;
    const req = lib.request(url, { method: opts.method ?? 'GET', ca: opts.ca, headers: opts.headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error(`no answer from ${url}`)));
    req.end();
  });
}

test("Spark's security guide on a TLS cluster: secrets refused, nothing leaked, web over HTTPS, owner-only state", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-security-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
  const ca = fs.readFileSync(cert);
  const secret = crypto.randomBytes(16).toString('hex');
  const secretFile = path.join(dir, 'secret.txt');
  fs.writeFileSync(secretFile, secret + '\n', { mode: 0o600 });
  const wrongFile = path.join(dir, 'wrong.txt');
  fs.writeFileSync(wrongFile, crypto.randomBytes(16).toString('hex'), { mode: 0o600 });
  const password = `pw-${crypto.randomBytes(8).toString('hex')}`;
  const gate = path.join(dir, 'gate');
  const stateDir = path.join(dir, 'state');
  const localDir = path.join(dir, 'local');
  fs.mkdirSync(localDir);
  const tls = ['--tls-cert', cert, '--tls-key', key, '--tls-ca', cert];
  // The secret from the file alone, as Spark's spark.authenticate.secret.file.
  const env = { SLUICE_SECRET: '', SLUICE_SECRET_FILE: secretFile };
  const [port, webPort] = [await freePort(), await freePort()];
  const driverAddr = `127.0.0.1:${port}`;
  const web = `https://127.0.0.1:${webPort}`;
  const logs = new Map<ChildProcess, string>();
  const start = (args: string[]): ChildProcess => {
    const p = spawn(process.execPath, [CLI_BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    logs.set(p, '');
    p.stderr!.on('data', (d: Buffer) => logs.set(p, logs.get(p) + d.toString()));
    return p;
  };
  const cli = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) => runCli([...args, '--driver', driverAddr, '--tls-ca', cert], { env: { ...env, ...extraEnv }, timeoutMs: 60_000 });
  const outputs: string[] = [];
  let submit: ChildProcess | undefined;
  try {
    start(['driver', '--port', String(port), '--web-port', String(webPort), '--state-dir', stateDir, '--log-level', 'debug', ...tls]);
    start(['worker', '--driver', driverAddr, '--cores', '2', '--local-dir', localDir, '--log-level', 'debug', ...tls]);
    await pollUntil(async () => ((await cli(['workers'])).stdout.match(/worker-/g) ?? []).length === 1 || undefined, 90_000, 'the worker to register over TLS');

    // The job, given a credential as its argument; it waits at the gate once SUM1 is printed.
    submit = spawn(process.execPath, [CLI_BIN, 'submit', '--driver', driverAddr, '--tls-ca', cert, fixture('security-guide.ts'), `postgres://app:${password}@db:5432/app`, gate], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let subOut = '';
    let subErr = '';
    submit.stdout!.on('data', (d: Buffer) => (subOut += d.toString()));
    submit.stderr!.on('data', (d: Buffer) => (subErr += d.toString()));
    const exited = new Promise<number | null>((r) => submit!.on('exit', (code) => r(code)));
    await pollUntil(() => (/^SUM1 /m.test(subOut) ? true : undefined), 120_000, 'the first action');

    // Authentication: a wrong secret, none, and a plaintext client are refused, saying why.
    const wrong = await cli(['jobs'], { SLUICE_SECRET_FILE: wrongFile });
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /SLUICE_UNAUTHENTICATED.*wrong cluster secret; set SLUICE_SECRET \(or --secret-file\)/);
    const none = await cli(['jobs'], { SLUICE_SECRET_FILE: '' });
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /SLUICE_NO_SECRET.*openssl rand -hex 16/);
    const plain = await runCli(['jobs', '--driver', driverAddr], { env, timeoutMs: 60_000 });
    assert.notEqual(plain.code, 0);
    assert.match(plain.stderr, /TLS/);
    outputs.push(wrong.stdout, wrong.stderr, none.stdout, none.stderr, plain.stdout, plain.stderr);

    // The web port speaks HTTPS with the cluster's certificate; plain HTTP gets no page.
    const home = await request(`${web}/`, { ca });
    assert.equal(home.status, 200, home.body);
    await assert.rejects(request(`http://127.0.0.1:${webPort}/`, {}));
    // A POST that changes the cluster needs the secret (Spark's modify ACLs: only who holds it).
    const workerId = (await request(`${web}/api/v1/workers`, { ca })).body.match(/worker-[0-9a-f]+/)![0];
    const tries: Record<string, string>[] = [{}, { 'x-sluice-secret': fs.readFileSync(wrongFile, 'utf8') }];
    for (const headers of tries) {
      const denied = await request(`${web}/api/v1/workers/${workerId}/decommission`, { method: 'POST', ca, headers });
      assert.equal(denied.status, 401, denied.body);
    }

    // Every page and answer a user can read while the job runs.
    const jobs = await cli(['jobs']);
    assert.equal(jobs.code, 0, jobs.stderr);
    const jobId = jobs.stdout.match(/job-\S+/)![0];
    assert.match(jobs.stdout, /running/);
    const listed = await cli(['workers']);
    outputs.push(jobs.stdout, jobs.stderr, listed.stdout, listed.stderr);
    for (const p of ['/', `/jobs/${jobId}/`, `/jobs/${jobId}/environment/`, `/jobs/${jobId}/stages/`, `/jobs/${jobId}/storage/`, `/jobs/${jobId}/executors/`, '/metrics', '/api/v1/applications', `/api/v1/applications/${jobId}`, `/api/v1/applications/${jobId}/jobs`, `/api/v1/applications/${jobId}/stages?details=true`, `/api/v1/applications/${jobId}/executors`, `/api/v1/applications/${jobId}/environment`, '/api/v1/workers']) {
      outputs.push((await request(`${web}${p}`, { ca })).body);
    }

    // Owner-only files: the registry (the job's arguments) and the bundle (its code), and the worker's scratch dir.
    const stateFiles = [path.join(stateDir, 'jobs.json'), ...fs.readdirSync(path.join(stateDir, 'bundles')).map((f) => path.join(stateDir, 'bundles', f))];
    assert.ok(stateFiles.length >= 3, String(stateFiles));
    assert.ok(fs.readFileSync(stateFiles[0], 'utf8').includes(password), 'the registry keeps the argument (so it must be private)');
    // ... and the directories the driver made for them (--state-dir was not there before it).
    for (const f of [...stateFiles, stateDir, path.join(stateDir, 'bundles')]) assert.equal(fs.statSync(f).mode & 0o077, 0, `${f} is open to others: ${(fs.statSync(f).mode & 0o777).toString(8)}`);
    const scratch = fs.readdirSync(localDir).filter((f) => f.startsWith('sluice-'));
    assert.equal(scratch.length, 1, String(scratch));
    assert.equal(fs.statSync(path.join(localDir, scratch[0])).mode & 0o077, 0);

    // Open the gate: the job ends as if nothing had been refused.
    fs.writeFileSync(gate, '');
    assert.equal(await exited, 0, subErr);
    const n = 1000;
    assert.match(subOut, new RegExp(`^SUM1 ${(n * (n + 1)) / 2}$`, 'm'));
    assert.match(subOut, new RegExp(`^SUM2 ${n * (n + 1)}$`, 'm'));
    outputs.push(subOut, subErr, ...logs.values());

    // Redaction: the secret and the credential nowhere (the driver and worker logs at debug).
    for (const o of outputs) {
      assert.ok(!o.includes(secret), `the cluster secret leaked in: ${o.slice(0, 2000)}`);
      assert.ok(!o.includes(password), `the job's credential leaked in: ${o.slice(0, 2000)}`);
    }
  } finally {
    submit?.kill('SIGKILL');
    for (const p of logs.keys()) p.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("the Security guide's --conf keys name what Sluice has instead, never echoing a secret given", async () => {
  const job = fixture('security-guide.ts');
  const given = `s3cr3t-${crypto.randomBytes(12).toString('hex')}`;
  const cases: [string[], RegExp][] = [
    [['--conf', `spark.authenticate.secret=${given}`], /--conf spark\.authenticate\.secret=[^:]*: (?:a setting of [^;]*; )?always on: every RPC carries the cluster secret; .*--secret-file FILE, SLUICE_SECRET_FILE or SLUICE_SECRET .*not on a command line, where ps shows it/],
    [['--conf', 'spark.authenticate.secret.file=/run/secrets/s'], /--conf spark\.authenticate\.secret\.file=[^:]*: (?:a setting of [^;]*; )?'--secret-file \/run\/secrets\/s' \(or SLUICE_SECRET_FILE=\/run\/secrets\/s\)/],
    [['--conf', 'spark.ssl.enabled=true'], /--conf spark\.ssl\.enabled=[^:]*: (?:a setting of [^;]*; )?'--tls-cert CERT\.pem --tls-key KEY\.pem' on 'sluice driver' and 'sluice worker' \(every RPC, and the driver's web UI over HTTPS\)/],
    [['--conf', 'spark.ssl.keyStore=/ks.jks'], /--conf spark\.ssl\.keyStore=[^:]*: (?:a setting of [^;]*; )?PEM files, not a Java keystore/],
    [['--conf', 'spark.io.encryption.enabled=true'], /--conf spark\.io\.encryption\.enabled=[^:]*: (?:a setting of [^;]*; )?not provided: .*encrypted filesystem/],
    [['--conf', 'spark.ui.view.acls=bob'], /--conf spark\.ui\.view\.acls=[^:]*: (?:a setting of [^;]*; )?no UI ACLs or filters: .*127\.0\.0\.1 unless --bind; '--web-port 0' turns it off/],
    [['--conf', 'spark.redaction.regex=(?i)pass'], /--conf spark\.redaction\.regex=[^:]*: (?:a setting of [^;]*; )?nothing to set/],
    [['--conf', 'spark.driver.bindAddress=10.0.0.5'], /--conf spark\.driver\.bindAddress=[^:]*: (?:a setting of [^;]*; )?'--bind 10\.0\.0\.5' on 'sluice driver'/],
  ];
  for (const [args, expected] of cases) {
    const r = await runCli(['run', ...args, job], { timeoutMs: 60_000 });
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, expected);
    assert.ok(!(r.stdout + r.stderr).includes(given), `the secret given was echoed: ${r.stderr}`);
  }
});

test('half a TLS setup is refused before anything listens: --tls-cert without --tls-key (or the other way), an unreadable PEM file', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-security-tls-'));
  try {
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    const missing = path.join(dir, 'missing.pem');
    const env = { SLUICE_SECRET: crypto.randomBytes(16).toString('hex'), SLUICE_SECRET_FILE: '' };
    const port = String(await freePort());
    const cases: [string[], RegExp][] = [
      [['driver', '--port', port, '--web-port', '0', '--tls-cert', cert], /SLUICE_BAD_ARGUMENT.*--tls-cert needs --tls-key: a server speaks TLS with both \(it would listen in plaintext with one\)/],
      [['worker', '--driver', `127.0.0.1:${port}`, '--tls-key', key, '--tls-ca', cert], /SLUICE_BAD_ARGUMENT.*--tls-key needs --tls-cert/],
      [['driver', '--port', port, '--web-port', '0', '--tls-cert', missing, '--tls-key', key], new RegExp(`SLUICE_BAD_ARGUMENT.*--tls-cert '${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}' cannot be read \\(ENOENT\\)`)],
      [['jobs', '--driver', `127.0.0.1:${port}`, '--tls-ca', missing], /SLUICE_BAD_ARGUMENT.*--tls-ca '.*missing\.pem' cannot be read \(ENOENT\)/],
    ];
    for (const [args, expected] of cases) {
      const r = await runCli(args, { env, timeoutMs: 60_000 });
      assert.equal(r.timedOut, false, `${args.join(' ')} did not stop`);
      assert.notEqual(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, expected);
      assert.doesNotMatch(r.stderr, /listening/);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
