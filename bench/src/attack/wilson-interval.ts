/** A 95 % Wilson score interval of a pass rate. */
export interface RateInterval {
  readonly rate: number;
  readonly low: number;
  readonly high: number;
}

/**
 * Wilson score interval for `passes` successes in `n` trials at normal quantile `z`
 * (1.96: 95 %). Unlike the normal approximation it stays inside [0, 1] and is honest at
 * 0 and n passes, which is where the attack targets sit.
 */
export function wilsonInterval(passes: number, n: number, z = 1.96): RateInterval {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(passes) || passes < 0 || passes > n) {
    throw new RangeError(`wilsonInterval: expected integers 0 <= passes <= n, got passes=${passes}, n=${n}`);
  }
  if (n === 0) return { rate: 0, low: 0, high: 1 };
  const p = passes / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { rate: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}
