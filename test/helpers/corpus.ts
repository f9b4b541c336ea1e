/**
 * Where the shared corpus is (../shared/corpus beside the repository), or null.
 * Tests that need it skip, saying so, when a fresh clone has no ../shared.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root (dist/test/helpers -> ../../..). */
export const repoRoot = join(here, '..', '..', '..');

export function corpusDir(): string | null {
  const dir = process.env.SGFILTER_CORPUS ?? join(repoRoot, '..', 'shared', 'corpus');
  return existsSync(dir) ? dir : null;
}

const warned = new Set<string>();
/** Print once per suite that it skips because the corpus is absent. */
export function skipNoCorpus(suite: string): void {
  if (warned.has(suite)) return;
  warned.add(suite);
  console.log(`\n  [skip] ${suite}: ../shared/corpus not found (set SGFILTER_CORPUS to its path to run these tests)`);
}

export function fixturesDir(): string {
  return join(repoRoot, 'fixtures');
}
