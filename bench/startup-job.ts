// The job of bench/startup.js: one tiny action, so the run is almost all start and stop.
import type { SluiceContext } from '@sluice/core';

export default async function (sc: SluiceContext): Promise<void> {
  console.log('BENCH ' + JSON.stringify({ count: await sc.parallelize([1, 2, 3, 4], 2).count() }));
}
