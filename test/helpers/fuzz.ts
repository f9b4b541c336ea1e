/**
 * The fuzz budget: SGFILTER_FUZZ_SECONDS (`npm run fuzz` sets 120) or a short
 * default for `npm test`. `npm run fuzz` runs every test file that reads it.
 */
export function fuzzBudgetMs(defaultSeconds: number): number {
  const v = Number(process.env.SGFILTER_FUZZ_SECONDS);
  return (Number.isFinite(v) && v > 0 ? v : defaultSeconds) * 1000;
}
