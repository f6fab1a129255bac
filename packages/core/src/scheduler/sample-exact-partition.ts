import { SluiceError } from '../errors.js';
import { keyId, type KeyId } from '../rdd/key.js';
import { mulberry32 } from '../util/random.js';

/**
 * The worker's side of sampleByKeyExact (rdd/sample-by-key-exact.ts), keys told apart by
 * keyId as every pair function does (key.ts: `{a, b}` and `{b, a}`, equal Maps, equal
 * tuples are one key), so the driver, which groups the counts by keyId too, and the
 * partitions agree on what a key is.
 */

/** Counts a partition's pairs by key; `counts(split)` gives [split, key, pairs of that key] for each. */
export class KeyCounter {
  private readonly byKey = new Map<KeyId, [unknown, number]>();

  add(kv: unknown): void {
    const k = (kv as [unknown, unknown])[0];
    const id = keyId(k);
    const e = this.byKey.get(id);
    if (e) e[1]++;
    else this.byKey.set(id, [k, 1]);
  }

  counts(split: number): [number, unknown, number][] {
    return [...this.byKey.values()].map(([k, n]) => [split, k, n]);
  }
}

/** One key's state in a partition: pairs the counting pass saw, pairs seen, still to take, draws by position (with replacement). */
interface KeyShare {
  readonly key: unknown;
  readonly expected: number;
  seen: number;
  needed: number;
  readonly draws?: Map<number, number>;
}

/**
 * Keeps partition `split`'s share of each key's sample: `shares` are [key, pairs per
 * partition, sample pairs per partition]. Without replacement pair j of n is kept with
 * probability needed / (n - j) (selection sampling); with it, the share's draws are made
 * uniformly among the key's n positions first. `finish` checks every key was seen as often
 * as counted (the input must be deterministic).
 */
export class ShareTaker {
  private readonly state = new Map<KeyId, KeyShare>();
  private readonly rand: () => number;

  constructor(
    shares: readonly (readonly [unknown, readonly number[], readonly number[]])[],
    withReplacement: boolean,
    seed: number,
    private readonly split: number,
  ) {
    this.rand = mulberry32((seed ^ Math.imul(split + 1, 0x9e3779b1)) >>> 0);
    for (const [key, counts, taken] of shares) {
      const n = counts[split];
      if (n === 0) continue;
      let draws: Map<number, number> | undefined;
      if (withReplacement) {
        draws = new Map();
        for (let d = 0; d < taken[split]; d++) {
          const j = Math.floor(this.rand() * n);
          draws.set(j, (draws.get(j) ?? 0) + 1);
        }
      }
      this.state.set(keyId(key), { key, expected: n, seen: 0, needed: taken[split], draws });
    }
  }

  take(kv: unknown, emit: (x: unknown) => void): void {
    const k = (kv as [unknown, unknown])[0];
    const s = this.state.get(keyId(k));
    if (s === undefined || s.seen >= s.expected) throw this.changed(`has more pairs of key ${describe(k)} than the counting pass saw (${s?.expected ?? 0})`);
    const j = s.seen++;
    if (s.draws) {
      for (let c = s.draws.get(j) ?? 0; c > 0; c--) emit(kv);
    } else if (this.rand() * (s.expected - j) < s.needed) {
      s.needed--;
      emit(kv);
    }
  }

  finish(): void {
    for (const s of this.state.values()) {
      if (s.seen !== s.expected) throw this.changed(`has ${s.seen} pairs of key ${describe(s.key)}, the counting pass saw ${s.expected}`);
    }
  }

  private changed(what: string): SluiceError {
    return new SluiceError('SLUICE_TASK_FAILED', `rdd.sampleByKeyExact: partition ${this.split} ${what}: the input must give the same pairs each time it is computed`);
  }
}

function describe(k: unknown): string {
  return typeof k === 'object' && k !== null ? String(keyId(k)).slice(1) : JSON.stringify(k) ?? String(k);
}
