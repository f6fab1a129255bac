// Pauses a server's whole process tree, as a stalled host would: SIGSTOP to a process and
// every descendant (PostgreSQL's postmaster and its backends), the parent first so that it
// forks no more; SIGCONT to the descendants first, then the parent. A stopped server still
// takes connections (the kernel completes the TCP handshake) and answers nothing. Used by
// the tests and by their fixture jobs on the workers (`@sluice/test-servers/pause-server`).
import fs from 'node:fs';

/** The processes whose parent is `pid`, and theirs (from /proc; Linux). */
export function descendants(pid: number): number[] {
  const byParent = new Map<number, number[]>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      byParent.set(ppid, [...(byParent.get(ppid) ?? []), Number(name)]);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  for (let todo = [pid]; todo.length > 0; ) {
    const next: number[] = [];
    for (const p of todo) for (const c of byParent.get(p) ?? []) (out.push(c), next.push(c));
    todo = next;
  }
  return out;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // exited meanwhile
  }
}

/** SIGSTOP `pid`, then every descendant (again, for one forked meanwhile). */
export function pauseTree(pid: number): void {
  signal(pid, 'SIGSTOP');
  for (let round = 0; round < 2; round++) for (const c of descendants(pid)) signal(c, 'SIGSTOP');
}

/** SIGCONT every descendant of `pid`, then `pid`. */
export function resumeTree(pid: number): void {
  for (const c of descendants(pid)) signal(c, 'SIGCONT');
  signal(pid, 'SIGCONT');
}
