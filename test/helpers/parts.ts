/** Helpers for the shard-set tests (test/replay/parts.test.ts, test/cli/merge.test.ts). */
import { readFileSync } from 'node:fs';

/**
 * A summary's JSON text with the wall-clock fields (`seconds`,
 * `packetsPerSecond`, `loopSeconds`: no two runs share them) set to 0; every
 * other byte is kept, key order included.
 */
export function withoutClock(json: string): string {
  return json.replace(/"(seconds|packetsPerSecond|loopSeconds)": -?[0-9.e+-]+/g, '"$1": 0');
}

/** The packet numbers of a JSON-lines decisions file, in file order. */
export function packetNumbers(file: string): number[] {
  const text = readFileSync(file, 'utf8');
  return text === '' ? [] : text.trimEnd().split('\n').map((l) => Number(/^\{"n":(\d+),/.exec(l)![1]));
}
