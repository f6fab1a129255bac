// Helpers the benches share (not a test): a free loopback port, and a process's or a
// thread's CPU time read from /proc (Linux).
import { spawnSync } from 'node:child_process';
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
