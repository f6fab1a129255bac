// What the s3-stateful.ts fixture's updateStateByKey must give, computed here from its seeded
// input (the generator written again for the tests, not imported from the job): the running
// totals after each batch. Shared by s3-checkpoint and s3-server-pause.

/** The fixture's seeded generator (mulberry32). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
