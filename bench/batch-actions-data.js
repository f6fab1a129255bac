// The input of bench/batch-actions.js (not a test): web-server log lines and a users CSV, made
// deterministically (mulberry32, seed 42) into a directory of their own; made once per size and
// kept in the system's temporary directory (a `done` file marks a whole set), as the bench's
// rounds and later runs read the same bytes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const USERS = 20_000;
const COUNTRIES = ['DE', 'FR', 'US', 'JP', 'BR', 'IN', 'GB', 'NG', 'AU', 'CA'];
const PLANS = ['free', 'pro', 'team'];
const METHODS = ['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE'];
const STATUSES = [200, 200, 200, 200, 201, 204, 301, 304, 400, 403, 404, 500, 503];
const PATHS = Array.from({ length: 300 }, (_, i) => `/p/${i % 17}/item${i}`);

function mulberry32(seed) {
  let s = seed;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Makes (or finds) `mb` MB of log lines in `files` files and users.csv; returns { logs, users }. */
export function batchActionsData(mb, files = 8) {
  const dir = path.join(os.tmpdir(), `sluice-bench-batch-actions-${mb}mb-${files}`);
  const logs = path.join(dir, 'logs');
  const users = path.join(dir, 'users.csv');
  if (fs.existsSync(path.join(dir, 'done'))) return { logs, users };
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(logs, { recursive: true });
  const r = mulberry32(42);
  let csv = 'user_id,name,country,plan\n';
  for (let i = 0; i < USERS; i++) csv += `u${i},User ${i},${COUNTRIES[Math.floor(r() * 10)]},${PLANS[Math.floor(r() * 3)]}\n`;
  fs.writeFileSync(users, csv);
  const perFile = (mb * 1e6) / files;
  for (let f = 0; f < files; f++) {
    const fd = fs.openSync(path.join(logs, `access-${String(f).padStart(2, '0')}.log`), 'w');
    let size = 0;
    let chunk = [];
    while (size < perFile) {
      // 2% of the hits are from users the CSV lacks (the join drops them; the broadcast says 'unknown').
      const uid = r() < 0.02 ? `u${USERS + Math.floor(r() * 100)}` : `u${Math.floor(r() ** 2 * USERS)}`;
      const ip = `10.${Math.floor(r() * 4)}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}`;
      const sec = Math.floor(r() * 86400);
      const hh = String(Math.floor(sec / 3600)).padStart(2, '0');
      const mm = String(Math.floor(sec / 60) % 60).padStart(2, '0');
      const ss = String(sec % 60).padStart(2, '0');
      const p = PATHS[Math.floor(r() ** 1.5 * PATHS.length)];
      const line = `${ip} - ${uid} [06/Dec/2026:${hh}:${mm}:${ss} +0000] "${METHODS[Math.floor(r() * 6)]} ${p} HTTP/1.1" ${STATUSES[Math.floor(r() * STATUSES.length)]} ${Math.floor(r() * 50000)} ${1 + Math.floor(r() * 900)}`;
      chunk.push(line);
      size += line.length + 1;
      if (chunk.length === 10_000) {
        fs.writeSync(fd, chunk.join('\n') + '\n');
        chunk = [];
      }
    }
    if (chunk.length > 0) fs.writeSync(fd, chunk.join('\n') + '\n');
    fs.closeSync(fd);
  }
  fs.writeFileSync(path.join(dir, 'done'), '');
  return { logs, users };
}
