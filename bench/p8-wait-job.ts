import type { SluiceContext } from '@sluice/core';
export default async function (sc: SluiceContext): Promise<void> {
  console.log('BENCH ' + JSON.stringify({ count: await sc.parallelize([1, 2, 3, 4], 2).count() }));
  await new Promise((r) => setTimeout(r, 600));
  console.log('BENCH ' + JSON.stringify({ count: await sc.parallelize([1, 2, 3, 4, 5], 2).count() }));
  await new Promise((r) => setTimeout(r, 600));
}
