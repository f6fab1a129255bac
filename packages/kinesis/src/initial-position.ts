import { SluiceError } from '@sluice/core';

/**
 * Where a shard the application has never read starts (Spark's KinesisInitialPositions):
 * 'LATEST' (records put after its reader first started), 'TRIM_HORIZON' (the oldest record
 * Kinesis still keeps), or `{ atTimestamp }` (the first record that arrived at or after it).
 * A shard with a checkpoint resumes after it, whatever this says.
 */
export type KinesisInitialPosition = 'LATEST' | 'TRIM_HORIZON' | { readonly atTimestamp: Date } | Latest | TrimHorizon;

/** Spark's KinesisInitialPositions.Latest: records put after the shard's reader first started. */
class Latest {
  getPosition(): 'LATEST' {
    return 'LATEST';
  }
}

/** Spark's KinesisInitialPositions.TrimHorizon: the oldest record Kinesis still keeps. */
class TrimHorizon {
  getPosition(): 'TRIM_HORIZON' {
    return 'TRIM_HORIZON';
  }
}

/** Spark's KinesisInitialPositions.AtTimestamp(timestamp): the first record that arrived at or after it. */
class AtTimestamp {
  constructor(readonly atTimestamp: Date) {}
  getPosition(): 'AT_TIMESTAMP' {
    return 'AT_TIMESTAMP';
  }
  getTimestamp(): Date {
    return this.atTimestamp;
  }
}

/**
 * Spark's KinesisInitialPositions, so `.initialPosition(new KinesisInitialPositions.TrimHorizon())`,
 * `new KinesisInitialPositions.Latest()` and `new KinesisInitialPositions.AtTimestamp(date)` port
 * as written; the same as 'TRIM_HORIZON', 'LATEST' and `{ atTimestamp: date }`.
 */
export const KinesisInitialPositions = { Latest, TrimHorizon, AtTimestamp } as const;

/** The initial position as it travels to the workers (plain data). */
export type ResolvedInitialPosition = { readonly kind: 'LATEST' } | { readonly kind: 'TRIM_HORIZON' } | { readonly kind: 'AT_TIMESTAMP'; readonly timestampMs: number };

export function resolveInitialPosition(p: unknown): ResolvedInitialPosition {
  if (p === 'LATEST' || p === 'TRIM_HORIZON') return { kind: p };
  if (p instanceof Latest) return { kind: 'LATEST' };
  if (p instanceof TrimHorizon) return { kind: 'TRIM_HORIZON' };
  if (typeof p === 'object' && p !== null && 'atTimestamp' in p) {
    const t = (p as { atTimestamp: unknown }).atTimestamp;
    if (t instanceof Date && Number.isFinite(t.getTime())) return { kind: 'AT_TIMESTAMP', timestampMs: t.getTime() };
  }
  let shown: string;
  try {
    shown = JSON.stringify(p) ?? String(p);
  } catch {
    shown = String(p);
  }
  throw new SluiceError(
    'SLUICE_BAD_ARGUMENT',
    `Kinesis: initialPosition ${shown} is not valid: use 'LATEST', 'TRIM_HORIZON' or { atTimestamp: new Date(...) } (a valid Date), or Spark's new KinesisInitialPositions.Latest(), .TrimHorizon() or .AtTimestamp(date)`,
  );
}
