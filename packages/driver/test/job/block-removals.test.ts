import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WorkerInfo } from '../../src/cluster/worker-registry.js';
import { BlockRemovals } from '../../src/job/block-removals.js';

/** Workers whose endpoints note each RemoveBlocks call; `removed(n)` resolves once n calls were made. */
function workers(ids: string[]) {
  const calls: { workerId: string; ids: string[]; prefixes: string[] }[] = [];
  let waiters: { n: number; resolve: () => void }[] = [];
  const live = new Set(ids);
  const registry = {
    get: (id: string): WorkerInfo | undefined =>
      live.has(id)
        ? ({
            id,
            endpoint: {
              removeBlocks: async (blockIds: readonly string[], prefixes: readonly string[] = []) => {
                calls.push({ workerId: id, ids: [...blockIds].sort(), prefixes: [...prefixes].sort() });
                for (const w of waiters.filter((x) => calls.length >= x.n)) w.resolve();
                waiters = waiters.filter((x) => calls.length < x.n);
              },
            },
          } as unknown as WorkerInfo)
        : undefined,
  };
  // The removals' timers are unref'd: a ref'd bound keeps the test's event loop alive meanwhile.
  const removed = (n: number): Promise<void> =>
    calls.length >= n
      ? Promise.resolve()
      : new Promise((resolve, reject) => {
          const bound = setTimeout(() => reject(new Error(`only ${calls.length} of ${n} RemoveBlocks calls within 5 s`)), 5000);
          waiters.push({ n, resolve: () => (clearTimeout(bound), resolve()) });
        });
  return { registry, calls, removed, lose: (id: string) => live.delete(id) };
}

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('removals asked for within the delay go as one call per worker, with every id and prefix asked for', async () => {
  const w = workers(['w1', 'w2']);
  const removals = new BlockRemovals(w.registry, 40);
  // Ten batches' worth: each removes its two received blocks (worker and replica) and its shuffle everywhere.
  const expected = new Map<string, { ids: Set<string>; prefixes: Set<string> }>([
    ['w1', { ids: new Set(), prefixes: new Set() }],
    ['w2', { ids: new Set(), prefixes: new Set() }],
  ]);
  for (let b = 0; b < 10; b++) {
    for (const id of [`input_j_0_${b}a`, `input_j_0_${b}b`]) {
      for (const wid of ['w1', 'w2']) {
        removals.remove(wid, [id]);
        expected.get(wid)!.ids.add(id);
      }
    }
    for (const wid of ['w1', 'w2']) {
      removals.remove(wid, [], [`shuffle_j_${b}_`]);
      expected.get(wid)!.prefixes.add(`shuffle_j_${b}_`);
    }
  }
  assert.equal(w.calls.length, 0, 'nothing is sent before the delay');
  assert.equal(removals.pendingWorkers, 2);
  await w.removed(2);
  await tick(80); // no third call follows
  assert.equal(w.calls.length, 2);
  for (const c of w.calls) {
    const e = expected.get(c.workerId)!;
    assert.deepEqual(c.ids, [...e.ids].sort());
    assert.deepEqual(c.prefixes, [...e.prefixes].sort());
  }
  assert.deepEqual(w.calls.map((c) => c.workerId).sort(), ['w1', 'w2']);
  assert.equal(removals.pendingWorkers, 0);

  // A removal after a flush starts a new round: nothing asked for is lost.
  removals.remove('w1', ['input_j_0_late']);
  await w.removed(3);
  assert.deepEqual(w.calls[2], { workerId: 'w1', ids: ['input_j_0_late'], prefixes: [] });
  removals.close();
});

test('a worker lost before the removal is sent gets no call; close() drops what is pending and leaves no timer', async () => {
  const w = workers(['w1', 'w2']);
  const removals = new BlockRemovals(w.registry, 30);
  removals.remove('w1', ['a']);
  removals.remove('w2', ['b']);
  removals.remove('w2', [], []); // nothing to remove: no call of its own
  w.lose('w1');
  await w.removed(1);
  await tick(60);
  assert.deepEqual(w.calls, [{ workerId: 'w2', ids: ['b'], prefixes: [] }]);

  removals.remove('w2', ['c']);
  assert.equal(removals.pendingWorkers, 1);
  removals.close();
  assert.equal(removals.pendingWorkers, 0, 'the per-job map is empty once the attempt ended');
  removals.remove('w2', ['d']);
  assert.equal(removals.pendingWorkers, 0, 'nothing is taken after close()');
  await tick(80);
  assert.equal(w.calls.length, 1, 'nothing pending at close() is sent');
});
