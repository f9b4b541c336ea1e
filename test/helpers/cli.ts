/**
 * Run the built CLI (dist/src/cli/main.js) and capture its output: `cli`
 * (synchronous) and `cliLimited` (with a time and a memory limit).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './corpus.js';

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function cli(args: string[], options: { input?: string; timeoutMs?: number } = {}): CliResult {
  const r = spawnSync(process.execPath, [join(repoRoot, 'dist', 'src', 'cli', 'main.js'), ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    input: options.input ?? '',
    timeout: options.timeoutMs ?? 60_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface LimitedCliResult extends CliResult {
  /** The signal that ended the process, if any. */
  signal: NodeJS.Signals | null;
  /** Set when the helper killed the process: it ran past `timeMs` or its RSS past `rssMb`. */
  killed?: 'time' | 'rss';
  /** Largest resident set size seen, in MiB (sampled every 25 ms from /proc). */
  peakRssMb: number;
  ms: number;
}

export interface LimitedCliOptions {
  /** Wall-clock limit (default 20 s): past it the process is killed and `killed` is 'time'. */
  timeMs?: number;
  /** Resident-memory limit in MiB (default 400): past it the process is killed and `killed` is 'rss'. */
  rssMb?: number;
  input?: string | Uint8Array;
  env?: NodeJS.ProcessEnv;
  /** Called with the child once it runs (e.g. to send it a signal when stderr says something). */
  onStart?: (child: ChildProcess) => void;
  /** Called with each chunk of stderr. */
  onStderr?: (chunk: string, child: ChildProcess) => void;
  /** Called with each chunk of stdout. */
  onStdout?: (chunk: string, child: ChildProcess) => void;
}

function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Run the CLI with a time limit and a memory limit, so that a hang or a leak
 * fails the test (the result says `killed`) instead of stalling the suite.
 */
export function cliLimited(args: string[], options: LimitedCliOptions = {}): Promise<LimitedCliResult> {
  return nodeLimited([join(repoRoot, 'dist', 'src', 'cli', 'main.js'), ...args], options);
}

/** `node ARGS...` (a script, or `--input-type=module -e CODE`) under the same limits as `cliLimited`. */
export function nodeLimited(nodeArgs: string[], options: LimitedCliOptions = {}): Promise<LimitedCliResult> {
  const timeMs = options.timeMs ?? 20_000;
  const limit = options.rssMb ?? 400;
  const started = performance.now();
  const child = spawn(process.execPath, nodeArgs, {
    cwd: repoRoot,
    env: options.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let killed: 'time' | 'rss' | undefined;
  let peak = 0;
  child.stdout!.setEncoding('utf8').on('data', (c: string) => {
    if (stdout.length < 64 << 20) stdout += c;
    options.onStdout?.(c, child);
  });
  child.stderr!.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
    options.onStderr?.(c, child);
  });
  child.stdin!.on('error', () => {});
  child.stdin!.end(options.input ?? '');
  const sampler = setInterval(() => {
    if (child.pid === undefined) return;
    const r = rssMb(child.pid);
    peak = Math.max(peak, r);
    if (r > limit && !killed) {
      killed = 'rss';
      child.kill('SIGKILL');
    }
  }, 25);
  const timer = setTimeout(() => {
    if (!killed) {
      killed = 'time';
      child.kill('SIGKILL');
    }
  }, timeMs);
  options.onStart?.(child);
  return new Promise((resolve) => {
    child.on('close', (status, signal) => {
      clearInterval(sampler);
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr, peakRssMb: Math.round(peak), ms: Math.round(performance.now() - started), ...(killed ? { killed } : {}) });
    });
  });
}
