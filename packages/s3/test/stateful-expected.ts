// What the s3-stateful.ts fixture's updateStateByKey must give, computed here from its seeded
// input (the generator taken from test-servers, not imported from the job): the running
// totals after each batch. Shared by s3-checkpoint and s3-server-pause.
import { mulberry32 } from '@sluice/test-servers';

/** The running totals after each of `batches` batches of the fixture run with `seed`, keys sorted. */
export function expectedStates(seed: number, batches: number): [string, number][][] {
  const rand = mulberry32(seed);
  const totals = new Map<string, number>();
  const out: [string, number][][] = [];
  for (let b = 0; b < batches; b++) {
    for (let j = 0; j < 40; j++) {
      const k = `w${Math.floor(rand() * 13)}`;
      totals.set(k, (totals.get(k) ?? 0) + 1 + Math.floor(rand() * 5));
    }
    out.push([...totals].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
  }
  return out;
}
