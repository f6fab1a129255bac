// Helpers the benches share (not a test): a free loopback port, a process's or a thread's
// CPU time read from /proc (Linux), and a command's run timed whole.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

/** Milliseconds a clock tick of /proc's utime and stime (CLK_TCK; 10 ms where getconf says nothing). */
const TICK_MS = 1000 / Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || 100);

/** utime + stime of process `pid` (all its threads), or of its thread `tid` alone, in ms. */
export function cpuOf(pid, tid) {
  const statFile = tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`;
  const fields = fs.readFileSync(statFile, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

/** A TCP port free on 127.0.0.1 now (bound to port 0, then closed). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/**
 * Runs `cmd args` to its exit, its output collected: resolves with its exit code (or signal),
 * stdout, stderr and wall time in ms, and, where its stderr ends with GNU time's `CPU %U %S`
 * (a command run as `/usr/bin/time -f 'CPU %U %S' ...`), the CPU time of its process tree in ms.
 * Checking the outcome is the caller's.
 */
export function spawnTimed(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      const wallMs = performance.now() - t0;
      const cpu = /CPU ([\d.]+) ([\d.]+)\s*$/.exec(err);
      resolve({ code, signal, out, err, wallMs, cpuMs: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : undefined });
    });
  });
}

/** GNU time's arguments before a command whose process tree's CPU time spawnTimed is to read. */
export const TIME_CPU = ['-f', 'CPU %U %S'];

/** The median of `xs` (the mean of the two middle values for an even count; NaN for none). */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const h = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[h] : (s[h - 1] + s[h]) / 2;
}
