/**
 * Where a benchmark ran: Node, CPU, memory, load, and the git commit of the
 * code measured. The commit is read from .git (HEAD, the ref file or
 * packed-refs) without running git; whether tracked files changed is asked of
 * `git diff --quiet HEAD` (read-only; GIT_OPTIONAL_LOCKS=0 so that it never
 * rewrites the index) and is null when git is not there.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { arch, cpus, hostname, loadavg, platform, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import type { BenchReport } from '../report/schema.js';

export function environment(): BenchReport['env'] {
  const c = cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: platform(),
    arch: arch(),
    hostname: hostname(),
    cpuModel: (c[0]?.model ?? 'unknown').trim() || 'unknown',
    cpuCount: Math.max(1, c.length),
    cpuSpeedMHz: Math.max(0, Math.round(c[0]?.speed ?? 0)),
    totalMemoryBytes: totalmem(),
    loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

/** The .git directory of `root` (a worktree's .git file points elsewhere). */
function gitDir(root: string): string | null {
  const p = join(root, '.git');
  if (!existsSync(p)) return null;
  if (statSync(p).isDirectory()) return p;
  const m = /^gitdir:\s*(.+)\s*$/m.exec(readFileSync(p, 'utf8'));
  return m ? (m[1]!.startsWith('/') ? m[1]! : join(root, m[1]!)) : null;
}

export function gitInfo(root: string): BenchReport['git'] {
  const none = { commit: null, branch: null, dirty: null };
  const dir = gitDir(root);
  if (!dir) return none;
  let commit: string | null = null;
  let branch: string | null = null;
  try {
    const head = readFileSync(join(dir, 'HEAD'), 'utf8').trim();
    const ref = /^ref:\s*(\S+)$/.exec(head);
    if (!ref) {
      commit = /^[0-9a-f]{40}$/.test(head) ? head : null;
    } else {
      branch = ref[1]!.replace(/^refs\/heads\//, '');
      // A linked worktree keeps its refs in the main repository (its `commondir`).
      const common = existsSync(join(dir, 'commondir')) ? resolve(dir, readFileSync(join(dir, 'commondir'), 'utf8').trim()) : dir;
      for (const d of common === dir ? [dir] : [dir, common]) {
        const loose = join(d, ref[1]!);
        if (existsSync(loose)) {
          commit = readFileSync(loose, 'utf8').trim();
        } else if (existsSync(join(d, 'packed-refs'))) {
          for (const line of readFileSync(join(d, 'packed-refs'), 'utf8').split('\n')) {
            const [sha, name] = line.split(' ');
            if (name === ref[1]) commit = sha ?? null;
          }
        }
        if (commit !== null) break;
      }
    }
  } catch {
    return none;
  }
  if (commit !== null && !/^[0-9a-f]{40}$/.test(commit)) commit = null;
  let dirty: boolean | null = null;
  try {
    execFileSync('git', ['diff', '--quiet', 'HEAD', '--'], { cwd: root, stdio: 'ignore', env: { ...process.env, GIT_OPTIONAL_LOCKS: '0' }, timeout: 10_000 });
    dirty = false;
  } catch (e) {
    // exit status 1: differences; anything else (no git, not a repository): unknown
    dirty = (e as { status?: number }).status === 1 ? true : null;
  }
  return { commit, branch, dirty };
}
