// The plain script of bench/batch-actions.js (not a test): the same results as
// bench/batch-actions-job.ts by the strongest single-thread JavaScript we could write, one pass
// over the files (each read whole, split into lines, each line parsed with the job's regular
// expression) into maps and counters. Prints `PLAIN {"results": ..., "ms": ...}`.
//   node bench/batch-actions-plain.js <logDir> <users.csv>
import fs from 'node:fs';
import path from 'node:path';

const RE = /^(\S+) - (\S+) \[(\d\d)\/(\w{3})\/(\d{4}):(\d\d):(\d\d):(\d\d) \+0000\] "(\w+) (\S+) HTTP\/1\.1" (\d{3}) (\d+) (\d+)$/;
const [logDir, usersCsv] = process.argv.slice(2);
const t0 = performance.now();
const users = new Map();
for (const l of fs.readFileSync(usersCsv, 'utf8').split('\n').slice(1)) {
  if (l === '') continue;
  const f = l.split(',');
  users.set(f[0], f[2]);
}
let hits = 0;
let bytesSum = 0;
let errors = 0;
let msMin = Infinity;
let msMax = -Infinity;
let msSum = 0;
const hist = [0, 0, 0, 0];
const byCountry = new Map();
const bytesByCountry = new Map();
const bytesByStatus = new Map();
const byMethod = new Map();
const perPath = new Map();
const perUser = new Map();
const ips = new Set();
const hours = new Map();
const add = (m, k, v) => m.set(k, (m.get(k) ?? 0) + v);
for (const f of fs.readdirSync(logDir).sort()) {
  const text = fs.readFileSync(path.join(logDir, f), 'latin1');
  let at = 0;
  while (at < text.length) {
    let nl = text.indexOf('\n', at);
    if (nl < 0) nl = text.length;
    const line = text.slice(at, nl);
    at = nl + 1;
    const m = RE.exec(line);
    if (!m) throw new Error(`not a log line: ${line}`);
    const uid = m[2];
    const status = Number(m[11]);
    const bytes = Number(m[12]);
    const ms = Number(m[13]);
    hits++;
    bytesSum += bytes;
    const c = users.get(uid);
    add(byCountry, c ?? 'unknown', 1);
    if (c !== undefined) add(bytesByCountry, c, bytes);
    add(bytesByStatus, status, bytes);
    add(byMethod, m[9], 1);
    const a = perPath.get(m[10]);
    if (a === undefined) perPath.set(m[10], [1, ms, ms]);
    else {
      a[0]++;
      a[1] += ms;
      if (ms > a[2]) a[2] = ms;
    }
    const u = perUser.get(uid);
    if (u === undefined) perUser.set(uid, [bytes, 1]);
    else {
      u[0] += bytes;
      u[1]++;
    }
    ips.add(m[1]);
    add(hours, Number(m[6]), 1);
    if (ms < msMin) msMin = ms;
    if (ms > msMax) msMax = ms;
    msSum += ms;
    if (ms >= 0 && ms <= 1000) hist[ms < 100 ? 0 : ms < 200 ? 1 : ms < 500 ? 2 : 3]++;
    if (status >= 500) errors++;
  }
}
const byName = (a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
const results = {
  hits,
  bytesSum,
  hitsByCountry: Object.fromEntries([...byCountry].sort(byName)),
  bytesByCountry: Object.fromEntries([...bytesByCountry].sort(byName)),
  bytesByStatus: [...bytesByStatus].sort((a, b) => a[0] - b[0]),
  byMethod: Object.fromEntries([...byMethod].sort(byName)),
  top5Paths: [...perPath].sort((a, b) => b[1][0] - a[1][0] || byName(a, b)).slice(0, 5).map(([p, a]) => [p, a[0], a[2]]),
  top3UsersByBytes: [...perUser].map(([u, [s]]) => [u, s]).sort((a, b) => b[1] - a[1] || byName(a, b)).slice(0, 3),
  lowest3UsersByHits: [...perUser].map(([u, [, n]]) => [u, n]).sort((a, b) => a[1] - b[1] || byName(a, b)).slice(0, 3),
  distinctIps: ips.size,
  msStats: { count: hits, min: msMin, max: msMax, mean: (msSum / hits).toFixed(6) },
  msHistogram: hist,
  errors,
  hourly: [...hours].sort((a, b) => a[0] - b[0]),
};
console.log('PLAIN ' + JSON.stringify({ results, ms: Math.round(performance.now() - t0) }));
