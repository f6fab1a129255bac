// The context cleaner (context-cleaner.ts, Spark's ContextCleaner for persisted RDDs and
// broadcasts) on its own, with a fake cluster: what it watches is removed once collected, one
// removal after another (the next sent once the previous one was answered); what the program
// unpersisted or destroyed (`forget`) is not removed again; and after CLEANER_GC_EVERY things
// watched, once CLEANER_GC_MIN_INTERVAL_MS have passed, it collects the thread itself.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CLEANER_GC_EVERY, CLEANER_GC_MIN_INTERVAL_MS, ContextCleaner } from '../src/context-cleaner.js';
import { collectGarbage } from '../src/util/collect-garbage.js';

const turns = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

/** A fake cluster whose removals stay open until `answer()`; the order they were asked in. */
function fakeRemovals(): { asked: string[]; open: () => number; answer: () => void; removals: { removeRdd(id: number): Promise<void>; removeBroadcast(id: number): Promise<void> } } {
  const asked: string[] = [];
  const waiting: (() => void)[] = [];
  const ask = (what: string): Promise<void> => {
    asked.push(what);
    return new Promise((resolve) => waiting.push(resolve));
  };
  return { asked, open: () => waiting.length, answer: () => waiting.shift()?.(), removals: { removeRdd: (id) => ask(`rdd ${id}`), removeBroadcast: (id) => ask(`broadcast ${id}`) } };
}

test('collected RDDs and broadcasts are removed one after another; forgotten ones are not', async () => {
  const fake = fakeRemovals();
  const cleaner = new ContextCleaner(fake.removals, () => undefined);
  const kept = { id: 99 };
  (() => {
    for (let i = 0; i < 3; i++) cleaner.watchRdd({ id: i }, i);
    cleaner.watchBroadcast({ b: 7 }, 7);
    const unpersisted = { id: 50 };
    cleaner.watchRdd(unpersisted, 50);
    cleaner.forget(unpersisted);
  })();
  cleaner.watchRdd(kept, 99);
  collectGarbage();
  await turns(20);
  // One removal asked, the others wait for its answer.
  assert.equal(fake.asked.length, 1, fake.asked.join(', '));
  assert.equal(fake.open(), 1);
  for (let i = 0; i < 10 && fake.open() > 0; i++) {
    fake.answer();
    await turns(5);
    assert.ok(fake.open() <= 1, `${fake.open()} removals open at once`);
  }
  assert.deepEqual([...fake.asked].sort(), ['broadcast 7', 'rdd 0', 'rdd 1', 'rdd 2']);
  assert.equal(kept.id, 99);
});

test(`the thread is collected after ${CLEANER_GC_EVERY} things watched, once ${CLEANER_GC_MIN_INTERVAL_MS} ms have passed since the last time`, async () => {
  const fake = fakeRemovals();
  let now = 1_000_000;
  const cleaner = new ContextCleaner(fake.removals, () => undefined, () => now);
  const held: object[] = [];
  // Dropped at once, watched: nothing collects them until something runs a full collection.
  (() => {
    for (let i = 0; i < CLEANER_GC_EVERY - 1; i++) cleaner.watchRdd({ id: i }, i);
  })();
  await turns(20);
  const before = fake.asked.length;
  // Too soon: the 64th does not collect.
  now += CLEANER_GC_MIN_INTERVAL_MS - 1;
  held.push({ id: 1000 });
  cleaner.watchRdd(held[0], 1000);
  await turns(20);
  assert.equal(fake.asked.length, before, 'no collection before the interval');
  // Another 64 watched, the interval passed: the thread is collected and the dropped ones are removed.
  now += 1;
  for (let i = 0; i < CLEANER_GC_EVERY; i++) {
    const r = { id: 2000 + i };
    held.push(r);
    cleaner.watchRdd(r, 2000 + i);
  }
  for (let i = 0; i < 200 && fake.asked.length < CLEANER_GC_EVERY - 1; i++) {
    fake.answer();
    await turns(2);
  }
  assert.equal(fake.asked.length, CLEANER_GC_EVERY - 1, `removals asked after the forced collection (${before} before it)`);
  assert.equal(held.length, CLEANER_GC_EVERY + 1);
});
