import { SluiceError } from '@sluice/core';

/**
 * Where a shard the application has never read starts (Spark's KinesisInitialPositions):
 * 'LATEST' (records put after its reader first started), 'TRIM_HORIZON' (the oldest record
 * Kinesis still keeps), or `{ atTimestamp }` (the first record that arrived at or after it).
 * A shard with a checkpoint resumes after it, whatever this says.
 */
export type KinesisInitialPosition = 'LATEST' | 'TRIM_HORIZON' | { readonly atTimestamp: Date };

/** The initial position as it travels to the workers (plain data). */
export type ResolvedInitialPosition = { readonly kind: 'LATEST' } | { readonly kind: 'TRIM_HORIZON' } | { readonly kind: 'AT_TIMESTAMP'; readonly timestampMs: number };

export function resolveInitialPosition(p: unknown): ResolvedInitialPosition {
  if (p === 'LATEST' || p === 'TRIM_HORIZON') return { kind: p };
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
    `Kinesis: initialPosition ${shown} is not valid: use 'LATEST', 'TRIM_HORIZON' or { atTimestamp: new Date(...) } (a valid Date)`,
  );
}
