/** Helpers for the shard-set tests (test/replay/parts.test.ts, test/cli/merge.test.ts). */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './corpus.js';

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


export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `node dist/src/cli/main.js ARGS` (or `sh -c SCRIPT` with `shell`) in `cwd`, as a separate process; resolves when it exits (killed after `timeMs`). */
export function spawnRun(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; shell?: boolean; timeMs?: number }): Promise<Run> {
  const [cmd, argv] = options.shell ? ['sh', ['-c', args.join(' ')]] : [process.execPath, [join(repoRoot, 'dist', 'src', 'cli', 'main.js'), ...args]];
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeMs ?? 60_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}
