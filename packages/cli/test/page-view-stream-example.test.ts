// examples/page-view-stream.ts, Spark's clickstream PageViewStream ported, run as README says
// (`sluice run --workers 2 examples/page-view-stream.ts all 12`: its bundled generator, 100
// views a second, for 12 s, then a graceful stop). Every metric it printed is checked against
// the views the generator sent, recomputed here from the generator's documented rule (a seeded
// LCG, Spark's distributions picked in order), not from its code nor from Sluice's operators:
// one receiver reads the socket in order, so the batches hold consecutive runs of the sequence,
// their sizes as the `views` lines give them; each metric of a batch or a window (the batches
// in (t - length, t]) is then computed with plain loops and compared with what the job printed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { REPO_DIR, runCli } from './harness.js';

interface View {
  readonly url: string;
  readonly status: number;
  readonly zip: number;
  readonly user: number;
}

/** Spark's PageViewGenerator draws with the seed-11 LCG of the example's header: user, page, status, zip code. */
function* generatedViews(): Generator<View> {
  let x = 11;
  const draw = (): number => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x / 4294967296;
  };
  const pick = <T>(items: T[], probs: number[]): T => {
    const r = draw();
    let cumulative = 0;
    for (let i = 0; i < items.length; i++) if ((cumulative += probs[i]!) > r) return items[i]!;
    return items[0]!;
  };
  const users = Array.from({ length: 100 }, (_, i) => i + 1);
  for (;;) {
    const user = pick(users, users.map(() => 0.01));
    const url = pick(['http://foo.com/', 'http://foo.com/news', 'http://foo.com/contact'], [0.7, 0.2, 0.1]);
    const status = pick([200, 404], [0.95, 0.05]);
    const zip = pick([94709, 94117], [0.5, 0.5]);
    yield { url, status, zip, user };
  }
}

const NAMES = new Map([[1, 'Patrick Wendell'], [2, 'Reynold Xin'], [3, 'Matei Zaharia']]);

function countBy<T>(xs: Iterable<T>): Map<T, number> {
  const m = new Map<T, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}
const sortedPairs = (m: Map<string, number> | [string, number][]): [string, number][] => [...m].sort((a, b) => a[0].localeCompare(b[0]));

test('examples/page-view-stream.ts all: every metric of every batch and window equals the one computed from the views the generator sent', { timeout: 240_000 }, async () => {
  const r = await runCli(['run', '--workers', '2', 'examples/page-view-stream.ts', 'all', '12'], { timeoutMs: 180_000, cwd: REPO_DIR });
  const show = `exit ${r.code}${r.timedOut ? ' (timed out)' : ''}\nstdout:\n${r.stdout.slice(-3000)}\nstderr:\n${r.stderr.slice(-3000)}`;
  assert.equal(r.timedOut, false, show);
  assert.equal(r.code, 0, show);

  const printed = new Map<string, Map<number, unknown>>();
  for (const m of r.stdout.matchAll(/^(\w+) (\d+) (.*)$/gm)) {
    const byTime = printed.get(m[1]!) ?? new Map<number, unknown>();
    assert.ok(!byTime.has(Number(m[2])), `${m[1]} printed twice for ${m[2]}\n${show}`);
    byTime.set(Number(m[2]), JSON.parse(m[3]!));
    printed.set(m[1]!, byTime);
  }
  const of = (metric: string): Map<number, unknown> => printed.get(metric) ?? new Map();

  // The batches, in time order, each a consecutive run of the generated views.
  const times = [...of('views').keys()].sort((a, b) => a - b);
  assert.ok(times.length >= 8, `at least 8 one-second batches in 12 s (${times.length})\n${show}`);
  times.forEach((t, i) => i > 0 && assert.equal(t - times[i - 1]!, 1000, `batch ${t} follows ${times[i - 1]} by 1 s`));
  const gen = generatedViews();
  const batches = new Map<number, View[]>();
  for (const t of times) {
    const [n] = of('views').get(t) as [number];
    batches.set(t, Array.from({ length: n }, () => gen.next().value as View));
  }
  const total = [...batches.values()].reduce((a, b) => a + b.length, 0);
  assert.ok(total >= 300, `at least 300 views counted (${total})\n${show}`);
  const windowOf = (t: number, lengthMs: number): View[] => times.filter((b) => b > t - lengthMs && b <= t).flatMap((b) => batches.get(b)!);

  // pageCounts: countByValue of each batch's URLs, every batch.
  assert.deepEqual([...of('pageCounts').keys()].sort((a, b) => a - b), times, 'pageCounts printed for every batch');
  for (const t of times) {
    assert.deepEqual(sortedPairs(of('pageCounts').get(t) as [string, number][]), sortedPairs(countBy(batches.get(t)!.map((v) => v.url))), `pageCounts at ${t}`);
  }

  // The windowed metrics: every 2 s, the same times for all three.
  const windowTimes = [...of('slidingPageCounts').keys()].sort((a, b) => a - b);
  assert.ok(windowTimes.length >= 4, `at least 4 windows (${windowTimes.length})\n${show}`);
  windowTimes.forEach((t, i) => {
    assert.ok(batches.has(t), `window ${t} is a batch time`);
    if (i > 0) assert.equal(t - windowTimes[i - 1]!, 2000, `windows slide by 2 s (${windowTimes[i - 1]} -> ${t})`);
  });
  assert.deepEqual([...of('errorRatePerZipCode').keys()].sort((a, b) => a - b), windowTimes, 'errorRatePerZipCode at the same times');
  assert.deepEqual([...of('activeUserCount').keys()].sort((a, b) => a - b), windowTimes, 'activeUserCount at the same times');
  for (const t of windowTimes) {
    // slidingPageCounts: views per URL over the last 10 s (countByValueAndWindow drops counts of 0).
    const sliding = countBy(windowOf(t, 10_000).map((v) => v.url));
    assert.deepEqual(sortedPairs(of('slidingPageCounts').get(t) as [string, number][]), sortedPairs(sliding), `slidingPageCounts at ${t}`);
    // errorRatePerZipCode: the share of non-200 statuses per zip code over the last 30 s, starred above 5%.
    const perZip = new Map<number, number[]>();
    for (const v of windowOf(t, 30_000)) perZip.set(v.zip, [...(perZip.get(v.zip) ?? []), v.status]);
    const rates = [...perZip].map(([zip, statuses]) => {
      let errors = 0;
      for (const s of statuses) if (s !== 200) errors++;
      const ratio = errors / statuses.length;
      return ratio > 0.05 ? `${zip}: **${ratio}**` : `${zip}: ${ratio}`;
    });
    assert.deepEqual((of('errorRatePerZipCode').get(t) as string[]).slice().sort(), rates.sort(), `errorRatePerZipCode at ${t}`);
    // activeUserCount: distinct users over the last 15 s.
    assert.deepEqual(of('activeUserCount').get(t), [`Unique active users: ${new Set(windowOf(t, 15_000).map((v) => v.user)).size}`], `activeUserCount at ${t}`);
  }

  // popularUsersSeen: at most 10 of the batch's views by users 1-3, joined to their names.
  assert.deepEqual([...of('popularUsersSeen').keys()].sort((a, b) => a - b), times, 'popularUsersSeen for every batch');
  for (const t of times) {
    const seen = countBy(batches.get(t)!.flatMap((v) => (NAMES.has(v.user) ? [NAMES.get(v.user)!] : [])));
    const got = of('popularUsersSeen').get(t) as string[];
    const want = [...seen.values()].reduce((a, b) => a + b, 0);
    assert.equal(got.length, Math.min(10, want), `popularUsersSeen at ${t}: ${JSON.stringify(got)} of ${JSON.stringify([...seen])}`);
    for (const [name, n] of countBy(got)) assert.ok(n <= (seen.get(name) ?? 0), `popularUsersSeen at ${t}: ${name} ${n} times, seen ${seen.get(name) ?? 0}`);
  }
});
