// A test that times out while its victim is frozen leaves no stopped process behind
// (pause.ts): run under `node --test` whose file timeout passes (the runner ends the file
// with SIGTERM), the victim is woken and killed as the file's process ends; a test process
// killed with SIGKILL leaves its record, and the next pause() (killStalePaused) wakes and
// kills its victim.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { killStalePaused } from '../src/pause.js';

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'pause-and-hang.js');

/** The process's state letter (ps's STAT: T stopped, Z dead but not reaped), or undefined once it is gone. */
function state(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/** Runs `args`, resolving with its output once it ended; `onVictim` is called with the victim's pid once printed. */
function run(args: string[], onVictim: (pid: number, child: ReturnType<typeof spawn>) => void = () => undefined): Promise<{ out: string; victim: number }> {
  return new Promise((resolve, reject) => {
    // Not as a file of this runner (NODE_TEST_CONTEXT would make `node --test` skip its files).
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    let victim = 0;
    const seen = (d: Buffer): void => {
      out += d.toString();
      const m = /VICTIM (\d+)/.exec(out);
      if (m && victim === 0) {
        victim = Number(m[1]);
        onVictim(victim, child);
      }
    };
    child.stdout.on('data', seen);
    child.stderr.on('data', seen);
    child.once('error', reject);
    child.once('close', () => resolve({ out, victim }));
  });
}

/** Waits (10 s at most) until `pid` is gone or dead; its last state. */
async function gone(pid: number): Promise<string | undefined> {
  for (let i = 0; i < 200; i++) {
    const s = state(pid);
    if (s === undefined || s === 'Z') return s;
    await new Promise((r) => setTimeout(r, 50));
  }
  return state(pid);
}

test('a test file ended at its timeout while its victim is paused: the victim is woken and killed, none left stopped', { timeout: 60_000 }, async () => {
  const { out, victim } = await run(['--test', '--test-timeout=3000', FIXTURE]);
  assert.ok(victim > 0, `the fixture paused a process:\n${out}`);
  assert.match(out, /# cancelled 1/, 'the file was ended at its timeout');
  const s = await gone(victim);
  if (s !== undefined && s !== 'Z') process.kill(victim, 'SIGKILL');
  assert.ok(s === undefined || s === 'Z', `the victim ${victim} is left in state ${s}`);
});

test('a test process killed with SIGKILL while its victim is paused: the next pause() (killStalePaused) wakes and kills it', { timeout: 60_000 }, async () => {
  const { victim } = await run([FIXTURE, 'direct'], (_pid, child) => child.kill('SIGKILL'));
  assert.ok(victim > 0);
  try {
    assert.equal(state(victim), 'T', 'the victim is stopped once its test process died');
    assert.deepEqual(killStalePaused(), [victim]);
    const s = await gone(victim);
    assert.ok(s === undefined || s === 'Z', `the victim ${victim} is left in state ${s}`);
  } finally {
    if (state(victim) === 'T') {
      process.kill(victim, 'SIGCONT');
      process.kill(victim, 'SIGKILL');
    }
  }
});
