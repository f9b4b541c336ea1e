#!/usr/bin/env node
/**
 * The `sgfilter` command line. Each command lives in its own module under
 * src/cli/ and registers itself here.
 */
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { registerCheck } from './check.js';
import { registerExplain } from './explain.js';
import { registerReplay } from './replay.js';
import { registerClassify } from './classify.js';
import { registerCompile } from './compile.js';
import { registerDecode } from './decode.js';
import { registerGen } from './gen.js';
import { registerExposure } from './exposure.js';
import { registerDiff } from './diff.js';
import { registerAssert } from './assert.js';
import { registerMerge } from './merge.js';
import { registerDecisions } from './decisions.js';
import { WasmLoadError } from '../wasm/loader.js';

const pkg = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'package.json'), 'utf8')) as { version: string };

const program = new Command();
program
  .name('sgfilter')
  .description('WebAssembly-accelerated security-group packet filter and benchmark harness')
  .version(pkg.version)
  .showHelpAfterError();

// Command registrations (one line each).
const registrations: ((p: Command) => void)[] = [
  registerCheck,
  registerExplain,
  registerReplay,
  registerClassify,
  registerCompile,
  registerDecode,
  registerGen,
  registerExposure,
  registerDiff,
  registerAssert,
  registerMerge,
  registerDecisions,
];

for (const register of registrations) register(program);

// `sgfilter decode x | head -1`: the reader went away; stop quietly like other Unix tools.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}

try {
  await program.parseAsync(process.argv);
} catch (e) {
  // A missing or damaged WASM module (or another installation problem): one line, no stack.
  // (From a worker thread the error arrives as a plain Error with the same message.)
  const m = (e as Error | undefined)?.message ?? '';
  if (e instanceof WasmLoadError || /^(cannot read the WASM module|the WASM module) /.test(m)) {
    process.stderr.write(`sgfilter: ${m}\n`);
    process.exit(2);
  }
  throw e;
}
