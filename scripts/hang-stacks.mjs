// Where each Node process of a test file is, shortly before the file's timeout: for
// scripts/run-tests.mjs, so that a file which then times out as a whole (its tests' own
// timeouts never fired: a blocked event loop, or a wait with no bound) says what it was doing.
// Each process (found in /proc by its process group) is asked in turn through its inspector,
// which SIGUSR1 opens on loopback port 9229 even while its event loop is blocked:
// Debugger.pause stops the code running (a busy loop's frames), and the inspector is closed again on the
// process's next turn, so the next process can open its own on the same port (a blocked one
// keeps it: the rest then say the port was taken). No flag is set on the file's processes (an
// option in NODE_OPTIONS would change what some tests check, as the CLI's code cache file
// names). Linux only (/proc); elsewhere nothing is gathered.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The Node processes of process group `pgid`: pid, command line and CPU time so far (clock ticks). */
function nodeProcesses(pgid) {
  let pids = [];
  try {
    pids = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return [];
  }
  const found = [];
  for (const pid of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      // pid (comm) state ppid pgrp ... utime stime: comm may hold spaces, so fields are counted after its last ')'.
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      if (Number(fields[2]) !== pgid || !comm.startsWith('node')) continue;
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
      found.push({ pid: Number(pid), cmdline, ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** Loopback TCP ports process `pid` listens on. */
function listeningPorts(pid) {
  const inodes = new Set();
  try {
    for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    }
  } catch {
    return new Set();
  }
  const ports = new Set();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = fs.readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9 && f[3] === '0A' && inodes.has(f[9])) ports.add(parseInt(f[1].split(':')[1], 16));
    }
  }
  return ports;
}


/** What process `pid` has open, by kind: "3 sockets, 4 pipes, 2 files, 5 other". */
function openFiles(pid) {
  const kinds = { socket: 0, pipe: 0, file: 0, other: 0 };
  try {
    for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
      const target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (target.startsWith('socket:')) kinds.socket++;
      else if (target.startsWith('pipe:')) kinds.pipe++;
      else if (target.startsWith('/')) kinds.file++;
      else kinds.other++;
    }
  } catch {
    return 'open files unknown';
  }
  return `open: ${kinds.socket} sockets, ${kinds.pipe} pipes, ${kinds.file} files, ${kinds.other} other`;
}

/**
 * Connects to the inspector on `port`, pauses the process and prints the frames it paused in
 * (or "idle"), then resumes it and closes its inspector on its next turn (a child Node, with
 * Node 20's WebSocket, so this process needs none of its own).
 */
const PAUSE_SCRIPT = `
const [port, waitMs] = process.argv.slice(-2);
const list = await (await fetch('http://127.0.0.1:' + port + '/json/list')).json();
const ws = new WebSocket(list[0].webSocketDebuggerUrl);
const urls = new Map();
let id = 0;
const send = (method, params = {}) => ws.send(JSON.stringify({ id: ++id, method, params }));
const close = () => send('Runtime.evaluate', { expression: 'setImmediate(() => process._debugEnd())' });
ws.onopen = () => {
  send('Debugger.enable');
  setTimeout(() => send('Debugger.pause'), 200);
  setTimeout(() => { console.log('idle: no JavaScript ran within ' + waitMs + ' ms'); send('Debugger.resume'); close(); setTimeout(() => process.exit(0), 200); }, Number(waitMs));
};
ws.onmessage = (e) => {
  const m = JSON.parse(e.data);
  if (m.method === 'Debugger.scriptParsed') urls.set(m.params.scriptId, m.params.url);
  if (m.method === 'Debugger.paused') {
    for (const f of m.params.callFrames.slice(0, 14)) console.log((f.functionName || '(anonymous)') + ' ' + (urls.get(f.location.scriptId) ?? f.url) + ':' + (f.location.lineNumber + 1) + ':' + (f.location.columnNumber + 1));
    send('Debugger.evaluateOnCallFrame', { callFrameId: m.params.callFrames[0].callFrameId, expression: 'setImmediate(() => process._debugEnd())' });
    send('Debugger.resume');
    setTimeout(() => process.exit(0), 200);
  }
};
`;

/** The JavaScript frames process `pid` is in (or the next it runs), through its inspector. */
async function inspectorStack(pid) {
  const before = listeningPorts(pid);
  try {
    process.kill(pid, 'SIGUSR1');
  } catch {
    return ['(gone)'];
  }
  let port;
  for (let i = 0; i < 40 && port === undefined; i++) {
    await sleep(50);
    port = [...listeningPorts(pid)].find((p) => !before.has(p));
  }
  if (port === undefined) return ['(its inspector did not open: port 9229 taken, or the process is exiting (its JavaScript over, Node freeing its environment; a process spinning there has a handle Node never closed, as a socket whose reset libuv refused))'];
  // Not spawnSync: run-tests goes on reading the other files' output meanwhile (a file blocked on a full pipe would stall).
  const r = await new Promise((resolve) =>
    execFile(process.execPath, ['--experimental-websocket', '--no-warnings', '--input-type=module', '-e', PAUSE_SCRIPT, String(port), '1000'], { encoding: 'utf8', timeout: 5000 }, (error, stdout, stderr) => resolve({ error, stdout, stderr })),
  );
  const frames = (r.stdout ?? '').split('\n').filter(Boolean);
  // Its inspector closes on its next turn: wait for that (a blocked one never does).
  for (let i = 0; i < 20 && listeningPorts(pid).has(port); i++) await sleep(50);
  return frames.length > 0 ? frames : [`(no frames: ${(r.stderr ?? '').trim().split('\n').at(-1) || r.error?.message})`];
}

/** One file's processes asked at a time: they all share port 9229. */
let queue = Promise.resolve();

/**
 * Says where each Node process of group `pgid` is (see above), a few lines a process: its
 * command line and CPU use over 2 s; and for those busy over that time (10% of a core or
 * more: a blocked loop at a load of 20 still took 20%), busiest first, at most 4, the
 * JavaScript frames they run. An idle process's next frames (a timer's) tell nothing.
 */
export function stacksOfGroup(pgid) {
  const asked = queue.then(() => ask(pgid));
  queue = asked.catch(() => undefined);
  return asked;
}

async function ask(pgid) {
  const procs = nodeProcesses(pgid);
  const t0 = Date.now();
  await sleep(2000);
  const seconds = (Date.now() - t0) / 1000;
  const after = new Map(nodeProcesses(pgid).map((p) => [p.pid, p.ticks]));
  const busy = (p) => (after.has(p.pid) ? (after.get(p.pid) - p.ticks) / 100 / seconds : -1);
  const lines = [`# where the file's ${procs.length} Node process(es) were, shortly before its timeout (busiest first):`];
  let inspected = 0;
  for (const p of [...procs].sort((a, b) => busy(b) - busy(a))) {
    lines.push(`#  pid ${p.pid} (${busy(p) < 0 ? 'exited' : `${Math.round(busy(p) * 100)}% CPU over ${seconds.toFixed(1)} s, ${openFiles(p.pid)}`}): ${p.cmdline.slice(0, 300)}`);
    if (busy(p) >= 0.1 && inspected++ < 4) for (const f of await inspectorStack(p.pid)) lines.push(`#      ${f}`);
  }
  return lines;
}
