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
];

for (const register of registrations) register(program);

await program.parseAsync(process.argv);
