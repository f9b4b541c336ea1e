/**
 * What every section of the run gets: its parameters, the progress display,
 * and the lists it appends figures and notes to.
 */
import type { Figure } from '../report/schema.js';
import type { ModeParams } from './modes.js';
import type { Progress } from './progress.js';

export interface RunContext {
  params: ModeParams;
  progress: Progress;
  figures: Figure[];
  notes: string[];
  /** Repository root (fixtures/ lives here). */
  root: string;
  /** Where generated captures are cached (undefined: ensureGenerated's default, .cache/gen). */
  cacheDir?: string;
  /** The ClassBench directory; null when absent. */
  classbenchDir: string | null;
}
