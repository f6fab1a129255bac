// Processes a test freezes with SIGSTOP (a worker, a driver, a broker), woken however the test
// ends. A test that times out while its victim is stopped never reaches its own SIGCONT: its
// file's process is ended by the runner (SIGTERM, on Node 20 when the file's --test-timeout
// passes) and the victim stayed stopped for good, holding its ports, its memory and, woken by
// nobody, the CPU it was given back later: it broke the tests after it in the run. So every
// pause() is recorded here and outside the process (os.tmpdir()/sluice-test-paused/, by the
// test process's pid and start time and the victim's), and the victims still paused are
// woken and killed when the test process exits or is told to end (SIGTERM, SIGINT, SIGHUP);
// one killed with SIGKILL leaves its records, and the next pause() of any test process wakes
// and kills those victims (their test process gone).
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const REGISTRY = path.join(os.tmpdir(), 'sluice-test-paused');
/** This process's victims still paused: pid -> its record file. */
const paused = new Map<number, string>();
let hooked = false;
/** The signal listeners hook() added (removed before the signal is raised again). */
const handlers: Record<string, () => void> = {};

/** A process to freeze: a child process, or a pid (a server a support module started). */
export type Victim = ChildProcess | number;

function pidOf(v: Victim): number {
  const pid = typeof v === 'number' ? v : v.pid;
  if (pid === undefined) throw new Error('pause: the process has no pid (it never started)');
  return pid;
}

/** A process's start time (/proc/<pid>/stat field 22), which tells it from a later one given the same pid; undefined when there is none. */
function startTimeOf(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone already
  }
}

/** Wakes `pid` and ends it (a stopped process acts on no signal but SIGKILL and SIGCONT). */
function wakeAndKill(pid: number): void {
  signal(pid, 'SIGCONT');
  signal(pid, 'SIGKILL');
}

/** Wakes and kills the victims this process still holds paused; how many. Called as it exits or is told to end. */
export function killPaused(): number {
  const n = paused.size;
  for (const [pid, record] of paused) {
    wakeAndKill(pid);
    fs.rmSync(record, { force: true });
  }
  paused.clear();
  return n;
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', () => killPaused());
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    // Once, then the signal's default (the process ends as it would have).
    const onSignal = (): void => {
      killPaused();
      for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.removeListener(s, handlers[s]);
      process.kill(process.pid, sig);
    };
    handlers[sig] = onSignal;
    process.on(sig, onSignal);
  }
}
/** Wakes and kills the victims of test processes that are gone (killed before they could); returns their pids. */
export function killStalePaused(): number[] {
  let records: string[];
  try {
    records = fs.readdirSync(REGISTRY);
  } catch {
    return [];
  }
  const killed: number[] = [];
  for (const name of records) {
    const [owner, ownerStart, victim, victimStart] = name.replace(/\.json$/, '').split('-');
    if (startTimeOf(Number(owner)) === ownerStart) continue; // its test process still runs
    if (startTimeOf(Number(victim)) === victimStart) {
      wakeAndKill(Number(victim));
      killed.push(Number(victim));
    }
    fs.rmSync(path.join(REGISTRY, name), { force: true });
  }
  return killed;
}

/**
 * Freezes `victim` with SIGSTOP, recorded so it is woken and killed if the test never
 * resumes it (see the file's comment). Resume it with resume().
 */
export function pause(victim: Victim): void {
  const pid = pidOf(victim);
  killStalePaused();
  hook();
  if (!paused.has(pid)) {
    fs.mkdirSync(REGISTRY, { recursive: true });
    const record = path.join(REGISTRY, `${process.pid}-${startTimeOf(process.pid)}-${pid}-${startTimeOf(pid)}.json`);
    fs.writeFileSync(record, '');
    paused.set(pid, record);
  }
  process.kill(pid, 'SIGSTOP');
}

/** Wakes `victim` (SIGCONT; nothing if it is gone, or was never started) and forgets it. */
export function resume(victim: Victim | undefined): void {
  const pid = typeof victim === 'number' ? victim : victim?.pid;
  if (pid === undefined) return;
  signal(pid, 'SIGCONT');
  const record = paused.get(pid);
  if (record !== undefined) fs.rmSync(record, { force: true });
  paused.delete(pid);
}

/** Wakes every victim this process still holds paused, without killing them (a file's after hook); how many. */
export function resumeAll(): number {
  const pids = [...paused.keys()];
  for (const pid of pids) resume(pid);
  return pids.length;
}

/** The pids this process holds paused now (a test's view). */
export function pausedNow(): number[] {
  return [...paused.keys()];
}
