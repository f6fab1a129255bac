// An independent Poisson quantile for the approximate actions' tests (partial-result,
// approximate-evaluators): the terms summed in plain arithmetic, for small means.

/** The smallest k with P(X <= k) >= q, X Poisson(lambda), its terms summed in plain arithmetic (lambda small). */
export function poissonQuantileBySum(lambda: number, q: number): number {
  let term = Math.exp(-lambda);
  let cdf = term;
  let k = 0;
  while (cdf < q) {
    k++;
    term *= lambda / k;
    cdf += term;
  }
  return k;
}
