/**
 * Which test files `node dist/test/run.js --fuzz` (npm run fuzz) runs: the
 * files under fuzz/ and differential/, and every file that reads the budget
 * helper (helpers/fuzz.ts).
 */
export function isFuzzSuite(relPath: string, compiledText: string): boolean {
  return /^(fuzz|differential)\//.test(relPath) || /helpers\/fuzz\.js'/.test(compiledText);
}
