import { SluiceError } from '@sluice/core';
import { giveBack, takeClient } from './client-cache.js';
import type { RedisSinkParams } from './redis-options.js';

/**
 * The checks a partition's commands pass before they are queued in its transaction, one chunk
 * at a time on a connection of its own (checkChunk). Redis has no rollback: a command refused
 * inside EXEC leaves the partition's other commands applied, so whatever Redis would refuse
 * there is refused here instead, with nothing of the partition applied and no marker written;
 * once the key is fixed, the task's next attempt (or the batch run again) applies the whole
 * partition once.
 *  - Every key holds no value or one of the type the kind writes (WRONGTYPE).
 *  - kind 'counter': every counter (a key, or a hash key's field) holds nothing or a number,
 *    and the partition's integer increments keep it within Redis's 64-bit integers (INCRBY's
 *    "value is not an integer", "increment or decrement would overflow"). A counter that holds
 *    a decimal number, or got a decimal increment earlier in the partition, is added to with
 *    INCRBYFLOAT (HINCRBYFLOAT) from then on: INCRBY refuses a value like "1.5".
 * A value changed by another client between this check and the EXEC still fails inside it
 * (writeRedisPartition's marker records that failure).
 * State: per partition attempt (PartitionChecks), used by one task at a time.
 */

/** One command of the sink: the key it writes, for a counter its field and increment. */
export interface Command {
  readonly key: string;
  /** Set here to its FLOAT variant when the counter holds or got a decimal number. */
  name: string;
  readonly args: (string | number)[];
  /** counter: the hash field HINCRBY adds to (none: INCRBY the key). */
  readonly field?: string;
  /** counter: the increment. */
  readonly by?: number;
}

/** What one attempt at a partition has checked: keys whose type is right, and each counter's value after the commands so far. */
export interface PartitionChecks {
  readonly typed: Set<string>;
  /** The counter's integer value after the commands checked so far, or 'float' once it holds (or got) a decimal number. */
  readonly counters: Map<string, bigint | 'float'>;
}

export const newChecks = (): PartitionChecks => ({ typed: new Set(), counters: new Map() });

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** What INCRBY takes as an integer (Redis's string2ll): no sign but '-', no leading zero, no space. */
const INTEGER = /^(0|-?[1-9][0-9]*)$/;
/** A decimal number INCRBYFLOAT takes (Redis's string2ld, strtold without hex or inf; under its 5,120 characters). */
const DECIMAL = /^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/;

const slotOf = (c: Command): string => (c.field === undefined ? c.key : `${c.key}\u0000${c.field}`);
const named = (c: Command): string => (c.field === undefined ? `key '${c.key}'` : `key '${c.key}' field '${c.field}'`);
const commandText = (c: Command): string => `${c.name.toUpperCase()} '${c.key}'${c.field === undefined ? '' : ` '${c.field}'`}`;
const start = (v: string): string => JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);

/** A counter's value as read: an integer, 'float' for another decimal number, undefined for no number. */
function counterValue(v: string | null): bigint | 'float' | undefined {
  if (v === null) return 0n;
  if (INTEGER.test(v) && v.length <= 20) {
    const n = BigInt(v);
    if (n >= INT64_MIN && n <= INT64_MAX) return n;
  }
  return v.length < 5120 && DECIMAL.test(v) ? 'float' : undefined;
}

/**
 * Checks one chunk's commands before they are queued (see the header); throws a
 * SLUICE_BAD_RECORD naming the key, what it holds and the command. Sets each counter
 * command's name (INCRBY or INCRBYFLOAT).
 */
export async function checkChunk(p: RedisSinkParams, need: string, commands: Command[], checks: PartitionChecks, where: string): Promise<void> {
  const refuse = (what: string, fix: string, checked: string): SluiceError =>
    new SluiceError(
      'SLUICE_BAD_RECORD',
      `${where}: kind: ${what}; ${fix} — nothing of the partition was applied (its ${checked} checked before its transaction), so once the key is fixed the task's next attempt, or the batch run again, applies it once`,
    );
  const freshKeys = new Map<string, Command>();
  const freshCounters = new Map<string, Command>();
  for (const c of commands) {
    if (!checks.typed.has(c.key) && !freshKeys.has(c.key)) freshKeys.set(c.key, c);
    if (p.kind === 'counter' && !checks.counters.has(slotOf(c)) && !freshCounters.has(slotOf(c))) freshCounters.set(slotOf(c), c);
  }
  if (freshKeys.size + freshCounters.size > 0) {
    const checker = await takeClient(p.url, p.commandTimeoutMs);
    let broken = false;
    try {
      const pipeline = checker.pipeline();
      for (const k of freshKeys.keys()) pipeline.type(k);
      for (const c of freshCounters.values()) {
        if (c.field === undefined) pipeline.get(c.key);
        else pipeline.hget(c.key, c.field);
      }
      const replies = (await pipeline.exec()) ?? [];
      const reply = (i: number): unknown => {
        const [err, value] = replies[i] ?? [new Error('no reply'), undefined];
        if (err) throw err;
        return value;
      };
      let i = 0;
      for (const [key, c] of freshKeys) {
        const has = reply(i++);
        if (has !== 'none' && has !== need) {
          throw refuse(`key '${key}' holds a Redis ${String(has)}, and kind '${p.kind}' writes a ${need} (${c.name.toUpperCase()} '${key}')`, "give keys of the kind's type (or another key)", "keys' types are");
        }
      }
      for (const [slot, c] of freshCounters) {
        const v = reply(i++) as string | null;
        const value = counterValue(v);
        if (value === undefined) {
          throw refuse(`${named(c)} holds ${start(v!)}, no number, and kind 'counter' adds to it (${commandText(c)})`, 'give counters that hold a number or nothing (or another key)', "counters' values are");
        }
        checks.counters.set(slot, value);
      }
      for (const k of freshKeys.keys()) checks.typed.add(k);
    } catch (err) {
      // The connection's own failure goes on as the partition's (writeRedisPartition's catch
      // tells a closed or silent server apart); the connection is dropped with it.
      broken = !(err instanceof SluiceError);
      throw err;
    } finally {
      giveBack(p.url, p.commandTimeoutMs, checker, broken);
    }
  }
  if (p.kind !== 'counter') return;
  // The chunk's increments in order, as Redis will apply them.
  for (const c of commands) {
    const slot = slotOf(c);
    const now = checks.counters.get(slot)!;
    const by = c.by!;
    if (now === 'float' || !Number.isSafeInteger(by)) {
      c.name = c.field === undefined ? 'incrbyfloat' : 'hincrbyfloat';
      checks.counters.set(slot, 'float');
      continue;
    }
    const next = now + BigInt(by);
    if (next < INT64_MIN || next > INT64_MAX) {
      throw refuse(
        `${named(c)} holds ${now} after the partition's increments before this one, and ${commandText(c)} by ${by} would take it to ${next}, past Redis's 64-bit integers (-2^63 to 2^63-1: Redis refuses it, "increment or decrement would overflow")`,
        'give increments that keep the counter within them (or another key)',
        "counters' values are",
      );
    }
    checks.counters.set(slot, next);
  }
}
