import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { DriverStateStore, processStartTime } from '../../src/state/driver-state-store.js';

const log = pino({ level: 'silent' });
let other: ChildProcess;
let dir: string;

before(() => {
  // A live process that is not a driver: it stands for whatever holds the old driver's pid
  // in a container started again on the same state volume.
  other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-state-lock-'));
});

after(() => {
  other.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

function lockWith(text: string): string {
  const d = fs.mkdtempSync(path.join(dir, 's-'));
  fs.writeFileSync(path.join(d, 'driver.pid'), text);
  return d;
}

test('a live process with the pid and start time in driver.pid holds the state dir', { skip: !fs.existsSync('/proc/self/stat') }, () => {
  const started = fs.readFileSync(`/proc/${other.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[19];
  assert.equal(processStartTime(other.pid!), started);
  const d = lockWith(`${other.pid} ${started}\n`);
  assert.throws(() => new DriverStateStore(d, log), (err: Error & { code?: string }) => err.code === 'SLUICE_BAD_ARGUMENT' && err.message.includes(`the driver with pid ${other.pid} uses it`));
});

test('a live process that only got the old pid (another start time) does not: the driver takes the dir over', { skip: !fs.existsSync('/proc/self/stat') }, () => {
  const d = lockWith(`${other.pid} 1\n`);
  new DriverStateStore(d, log);
  const [pid, started] = fs.readFileSync(path.join(d, 'driver.pid'), 'utf8').trim().split(' ');
  assert.equal(Number(pid), process.pid);
  assert.equal(started, fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ')[19]);
});

test('a lock file with a live pid and no start time (an older driver) still holds the dir', () => {
  const d = lockWith(`${other.pid}\n`);
  assert.throws(() => new DriverStateStore(d, log), /the driver with pid \d+ uses it/);
});

test('the pid of a dead process is taken over', async () => {
  const dead = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((r) => dead.once('exit', r));
  const d = lockWith(`${dead.pid} 5\n`);
  new DriverStateStore(d, log);
  assert.equal(Number(fs.readFileSync(path.join(d, 'driver.pid'), 'utf8').split(' ')[0]), process.pid);
});
