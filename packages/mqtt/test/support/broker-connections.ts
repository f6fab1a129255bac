// A worker's TCP connections to the broker as the kernel sees them (`ss`), for the tests that
// freeze or kill the receiver's worker (mqtt-worker-pause, mqtt-inflight-kill): how many it
// holds, and how many bytes the broker sent on them that it has not read (Recv-Q: a frozen
// process's unread PUBLISH packets).
import { execFileSync } from 'node:child_process';

/** Established TCP connections of `pid` to the broker's port, and the bytes they hold unread (ss's Recv-Q). */
export function toBroker(pid: number, port: number): { connections: number; unread: number } {
  const out = execFileSync('ss', ['-Htnp', 'state', 'established', `( dport = :${port} )`], { encoding: 'utf8' });
  const mine = out.split('\n').filter((l) => l.includes(`pid=${pid},`));
  return { connections: mine.length, unread: mine.reduce((n, l) => n + Number(l.trim().split(/\s+/)[0]), 0) };
}
