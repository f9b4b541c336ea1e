/**
 * The one helper for time budgets and property-run counts of every fuzz,
 * property and differential suite.
 *
 *   npm test       short budgets (each suite's default) and fixed run counts
 *                  (SGFILTER_PROPERTY_RUNS overrides the counts);
 *   npm run fuzz   SGFILTER_FUZZ_SECONDS=120: every time budget is that many
 *                  seconds, and property suites run as many cases as it allows.
 *
 * test/run.ts --fuzz selects the files under test/fuzz/ and
 * test/differential/ and every file that reads this helper.
 */

/** True under `npm run fuzz` (SGFILTER_FUZZ_SECONDS set to a positive number). */
export function isFuzzRun(): boolean {
  const v = Number(process.env.SGFILTER_FUZZ_SECONDS);
  return Number.isFinite(v) && v > 0;
}

/** The fuzz budget in seconds: SGFILTER_FUZZ_SECONDS, or `defaultSeconds` under npm test. */
export function fuzzSeconds(defaultSeconds: number): number {
  return isFuzzRun() ? Number(process.env.SGFILTER_FUZZ_SECONDS) : defaultSeconds;
}

/** The same in milliseconds. */
export function fuzzBudgetMs(defaultSeconds: number): number {
  return fuzzSeconds(defaultSeconds) * 1000;
}

export interface PropertyRunParameters {
  numRuns: number;
  interruptAfterTimeLimit?: number;
  markInterruptAsFailure?: boolean;
}

/**
 * fast-check parameters for a property: `runs` cases under npm test
 * (SGFILTER_PROPERTY_RUNS overrides); under npm run fuzz, as many cases as
 * the fuzz budget allows (at least `runs` unless the budget runs out first).
 */
export function propertyRuns(runs: number): PropertyRunParameters {
  if (isFuzzRun()) return { numRuns: 1_000_000_000, interruptAfterTimeLimit: fuzzBudgetMs(0), markInterruptAsFailure: false };
  const v = Number(process.env.SGFILTER_PROPERTY_RUNS);
  return { numRuns: Number.isSafeInteger(v) && v > 0 ? v : runs };
}

/** The run count `propertyRuns(runs)` aims for under npm test (for "at least a quarter of the cases…" checks). */
export function propertyRunCount(runs: number): number {
  return propertyRuns(runs).numRuns > 1e8 ? runs : propertyRuns(runs).numRuns;
}
