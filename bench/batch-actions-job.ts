// The Sluice program of bench/batch-actions.js (not a test): user51's batch job, 14 actions over
// one cached RDD of parsed log lines (`textFile(dir).map(parse).cache()`), each action timed
// here. Prints `BENCH {"results": ..., "actions": [[name, ms], ...], "jobMs": ...}`; the results
// are compared with bench/batch-actions-plain.js's.
import type { SluiceContext } from '@sluice/core';

const RE = /^(\S+) - (\S+) \[(\d\d)\/(\w{3})\/(\d{4}):(\d\d):(\d\d):(\d\d) \+0000\] "(\w+) (\S+) HTTP\/1\.1" (\d{3}) (\d+) (\d+)$/;
type Hit = { ip: string; uid: string; hour: number; method: string; path: string; status: number; bytes: number; ms: number };

function parse(line: string): Hit {
  const m = RE.exec(line);
  if (!m) throw new Error(`not a log line: ${line}`);
  return { ip: m[1], uid: m[2], hour: Number(m[6]), method: m[9], path: m[10], status: Number(m[11]), bytes: Number(m[12]), ms: Number(m[13]) };
}

const byName = (a: [string, number], b: [string, number]): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

export default async function job(sc: SluiceContext, args: string[]): Promise<void> {
  const [logDir, usersCsv] = args;
  const t0 = performance.now();
  const actions: [string, number][] = [];
  const out: Record<string, unknown> = {};
  const timed = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    const v = await f();
    actions.push([name, Math.round(performance.now() - t)]);
    return v;
  };
  const hits = sc.textFile(logDir).map(parse).cache();
  out.hits = await timed('count (reads the files, fills the cache)', () => hits.count());
  out.bytesSum = await timed('sum', () => hits.map((h) => h.bytes).sum());
  const users = sc.textFile(usersCsv).filter((l) => !l.startsWith('user_id,')).map((l): [string, string] => {
    const f = l.split(',');
    return [f[0], f[2]];
  });
  const usersMap = await timed('collectAsMap (users)', () => users.collectAsMap());
  const bUsers = sc.broadcast(usersMap);
  out.hitsByCountry = Object.fromEntries(
    (await timed('reduceByKey (broadcast country)', () => hits.map((h): [string, number] => [bUsers.value.get(h.uid) ?? 'unknown', 1]).reduceByKey((a, b) => a + b).collect())).sort(byName),
  );
  out.bytesByCountry = Object.fromEntries(
    (await timed('join + reduceByKey', () => hits.map((h): [string, number] => [h.uid, h.bytes]).join(users).map(([, [b, c]]): [string, number] => [c, b]).reduceByKey((a, b) => a + b).collect())).sort(byName),
  );
  out.bytesByStatus = (await timed('reduceByKey (status)', () => hits.map((h): [number, number] => [h.status, h.bytes]).reduceByKey((a, b) => a + b).collect())).sort((a, b) => a[0] - b[0]);
  out.byMethod = Object.fromEntries([...(await timed('countByValue (method)', () => hits.map((h) => h.method).countByValue()))].sort());
  const perPath = hits
    .map((h): [string, number] => [h.path, h.ms])
    .aggregateByKey([0, 0, 0] as [number, number, number], (acc, v) => [acc[0] + 1, acc[1] + v, Math.max(acc[2], v)] as [number, number, number], (a, b) => [a[0] + b[0], a[1] + b[1], Math.max(a[2], b[2])] as [number, number, number]);
  out.top5Paths = (await timed('aggregateByKey + sortBy + take', () => perPath.sortBy(([p, a]) => [-a[0], p] as unknown as number).take(5))).map(([p, a]) => [p, a[0], a[2]]);
  const perUser = hits.map((h): [string, number] => [h.uid, h.bytes]).reduceByKey((a, b) => a + b);
  out.top3UsersByBytes = await timed('reduceByKey + top', () => perUser.top(3, (a, b) => a[1] - b[1] || -byName(a, b)));
  out.lowest3UsersByHits = await timed('reduceByKey + takeOrdered', () => hits.map((h): [string, number] => [h.uid, 1]).reduceByKey((a, b) => a + b).takeOrdered(3, (a, b) => a[1] - b[1] || byName(a, b)));
  out.distinctIps = await timed('distinct + count', () => hits.map((h) => h.ip).distinct().count());
  const st = await timed('stats', () => hits.map((h) => h.ms).stats());
  out.msStats = { count: st.count, min: st.min, max: st.max, mean: st.mean.toFixed(6) };
  out.msHistogram = await timed('histogram', () => hits.map((h) => h.ms).histogram([0, 100, 200, 500, 1000]));
  out.errors = await timed('filter + count', () => hits.filter((h) => h.status >= 500).count());
  out.hourly = await timed('reduceByKey + sortByKey + collect', () => hits.map((h): [number, number] => [h.hour, 1]).reduceByKey((a, b) => a + b).sortByKey().collect());
  console.log('BENCH ' + JSON.stringify({ results: out, actions, jobMs: Math.round(performance.now() - t0) }));
}
