// Relative paths in a job sent with `sluice submit` resolve against the directory the
// submit ran in, not the driver's working directory: a driver started in one directory,
// the job submitted from another, every input and output where the user put them.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { CLI_BIN, fixture, freePort, mulberry32, runCli, within } from './harness.js';
import { randomSecret, spawnSluice, startWorkerProcess, type SluiceProcess } from './sluice-processes.js';

const JOB = fixture('relative-paths.ts');
const secret = randomSecret();
const env = { SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' };
let root: string;
let driverDir: string;
let driver: SluiceProcess;
let driverAddress: string;
let worker: SluiceProcess;

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-relative-'));
  driverDir = path.join(root, 'driver-cwd');
  fs.mkdirSync(driverDir);
  const port = await freePort();
  driverAddress = `127.0.0.1:${port}`;
  driver = await spawnSluice(['driver', '--port', String(port), '--web-port', '0', '--log-level', 'info'], secret, /driver listening/, {}, driverDir);
  worker = await startWorkerProcess(driverAddress, secret);
});
after(async () => {
  await worker?.stop();
  await driver?.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

/** Lines of the part files of a saveAsTextFile directory. */
function savedLines(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((n) => n.startsWith('part-'))
    .flatMap((n) => fs.readFileSync(path.join(dir, n), 'utf8').split('\n'))
    .filter((l) => l !== '');
}

test('sluice submit from another directory: textFile, saveAsTextFile, textFileStream, saveAsTextFiles and checkpoint resolve against it', async () => {
  const userDir = path.join(root, 'project');
  fs.mkdirSync(path.join(userDir, 'in'), { recursive: true });
  fs.mkdirSync(path.join(userDir, 'in-stream'));
  const rnd = mulberry32(5);
  const vocabulary = ['alpha', 'beta', 'gamma', 'delta'];
  const data = Array.from({ length: 40 }, () => Array.from({ length: 1 + Math.floor(rnd() * 5) }, () => vocabulary[Math.floor(rnd() * 4)]).join(' '));
  fs.writeFileSync(path.join(userDir, 'in', 'data.txt'), data.join('\n') + '\n');
  const expectedCounts = new Map<string, number>();
  for (const w of data.join(' ').split(' ')) expectedCounts.set(w, (expectedCounts.get(w) ?? 0) + 1);
  const streamed = Array.from({ length: 25 }, (_, i) => `line ${i} ${vocabulary[Math.floor(rnd() * 4)]}`);

  const child = spawn(process.execPath, [CLI_BIN, 'submit', '--driver', driverAddress, JOB, String(streamed.length)], { cwd: userDir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const streaming = new Promise<void>((resolve) =>
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (/^STREAMING$/m.test(stdout)) resolve();
    }),
  );
  try {
    await within(streaming, 60_000, `the job to start streaming:\n${stdout}\n${stderr}`);
    // Written aside, then moved in whole (as a file stream wants).
    const staged = path.join(userDir, 'staged.txt');
    fs.writeFileSync(staged, streamed.join('\n') + '\n');
    fs.renameSync(staged, path.join(userDir, 'in-stream', 'part.txt'));
    assert.equal(await within(exited, 90_000, `the job to end:\n${stdout}\n${stderr}`), 0, `${stdout}\n${stderr}`);
  } finally {
    child.kill('SIGKILL');
  }
  assert.match(stdout, new RegExp(`^WORKDIR ${userDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
  assert.match(stdout, new RegExp(`^SEEN ${streamed.length}$`, 'm'));
  // Everything in the submit's directory ...
  const counts = new Map(savedLines(path.join(userDir, 'out', 'words')).map((l) => [l.split(' ')[0], Number(l.split(' ')[1])] as [string, number]));
  assert.deepEqual([...counts].sort(), [...expectedCounts].sort());
  const batchDirs = fs.readdirSync(path.join(userDir, 'out')).filter((n) => /^batch-\d+\.txt$/.test(n));
  assert.ok(batchDirs.length >= 1, `saveAsTextFiles wrote under out/: ${fs.readdirSync(path.join(userDir, 'out'))}`);
  assert.deepEqual(batchDirs.flatMap((d) => savedLines(path.join(userDir, 'out', d))).sort(), [...streamed].sort());
  assert.ok(fs.readdirSync(path.join(userDir, 'ckpt')).length > 0, 'the checkpoint directory is in the project');
  // ... and nothing in the driver's.
  assert.deepEqual(fs.readdirSync(driverDir), []);
});

test('a relative path that is not there: the error says where it was looked for', async () => {
  const userDir = path.join(root, 'elsewhere');
  fs.mkdirSync(userDir);
  const r = await runCli(['submit', '--driver', driverAddress, JOB, 'missing'], { env, cwd: userDir, timeoutMs: 60_000 });
  assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
  assert.ok(
    r.stderr.includes(`sc.textFile: cannot read '${path.join(userDir, 'no-such-input.txt')}' ('no-such-input.txt' relative to ${userDir}, the directory the job was submitted from)`),
    r.stderr,
  );
  assert.deepEqual(fs.readdirSync(driverDir), []);
});
