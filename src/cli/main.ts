#!/usr/bin/env node
/**
 * The `sgfilter` bin. It runs the command line from one bundle when the build
 * made it — dist/src/clib/cli.js and its chunks (esbuild, `npm run
 * build:bundle`, part of every build) — because a fresh process resolves and
 * reads an ES module graph file by file: loading the replay command's graph
 * (~170 files, 95 of them zod's) took a third of a 200,000-packet
 * `sgfilter replay` here (docs/replay.md, Cold start). Else,
 * or when cli.js is newer than the bundle (a tree rebuilt by `tsc` alone),
 * it runs cli.js and its graph: the same code.
 */
import { statSync } from 'node:fs';

const bundle = new URL('../clib/cli.js', import.meta.url);
const graph = new URL('./cli.js', import.meta.url);
const mtime = (u: URL): number => {
  try {
    return statSync(u).mtimeMs;
  } catch {
    return NaN;
  }
};
await import((mtime(bundle) >= mtime(graph) ? bundle : graph).href);
