// Spark's SparkPageRank, ported: the PageRank of each URL of a link file, by iterated joins of
// the cached link lists with the ranks (a naive implementation, as Spark's says of its own).
//
//   node packages/cli/bin/sluice.js run --workers 2 examples/page-rank.ts [FILE [ITERATIONS]]
//       FILE: a line per link, `URL neighbor-URL` separated by spaces (a built-in graph without
//       one); ITERATIONS: 10 by default. Prints `URL has rank: R.` a line per URL that has
//       a link to it, as Spark's.
import type { SluiceContext } from '@sluice/core';

const LINKS = ['url_1 url_4', 'url_2 url_1', 'url_3 url_2', 'url_3 url_1', 'url_4 url_3', 'url_4 url_1'];

export default async function pageRank(sc: SluiceContext, args: string[]): Promise<void> {
  console.error('WARN: This is a naive implementation of PageRank and is given as an example!');
  const iters = args.length > 1 ? Number(args[1]) : 10;
  const lines = args.length > 0 ? sc.textFile(args[0]) : sc.parallelize(LINKS);
  // Spark's links: each URL's distinct neighbors, grouped once and cached for every iteration.
  const links = lines
    .map((s): [string, string] => {
      const parts = s.split(/\s+/);
      return [parts[0], parts[1]];
    })
    .distinct()
    .groupByKey()
    .cache();
  let ranks = links.mapValues(() => 1.0);

  for (let i = 1; i <= iters; i++) {
    const contribs = links
      .join(ranks)
      .values()
      .flatMap(([urls, rank]) => urls.map((url): [string, number] => [url, rank / urls.length]));
    ranks = contribs.reduceByKey((a, b) => a + b).mapValues((sum) => 0.15 + 0.85 * sum);
  }

  for (const [url, rank] of await ranks.collect()) console.log(`${url} has rank: ${rank}.`);
}
