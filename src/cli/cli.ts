/**
 * The `sgfilter` command line (run by main.ts, the bin). Each command lives in its own module under
 * src/cli/ and registers itself here. Only the named command's module is
 * loaded (each pulls in a different part of the library); help, a version
 * request or an unknown command loads them all.
 */
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { WasmLoadError } from '../wasm/loader.js';

const pkg = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'package.json'), 'utf8')) as { version: string };

const program = new Command();
program
  .name('sgfilter')
  .description('WebAssembly-accelerated security-group packet filter and benchmark harness')
  .version(pkg.version)
  .showHelpAfterError();

// Command registrations (one line each): the command's name and its module's register function.
type Register = (p: Command) => void;
const registrations: Record<string, () => Promise<Register>> = {
  check: async () => (await import('./check.js')).registerCheck,
  explain: async () => (await import('./explain.js')).registerExplain,
  replay: async () => (await import('./replay.js')).registerReplay,
  classify: async () => (await import('./classify.js')).registerClassify,
  compile: async () => (await import('./compile.js')).registerCompile,
  decode: async () => (await import('./decode.js')).registerDecode,
  gen: async () => (await import('./gen.js')).registerGen,
  exposure: async () => (await import('./exposure.js')).registerExposure,
  diff: async () => (await import('./diff.js')).registerDiff,
  assert: async () => (await import('./assert.js')).registerAssert,
  merge: async () => (await import('./merge.js')).registerMerge,
  decisions: async () => (await import('./decisions.js')).registerDecisions,
};

const named = process.argv[2];
const wanted = named !== undefined && Object.hasOwn(registrations, named) ? [named] : Object.keys(registrations);
for (const register of await Promise.all(wanted.map((n) => registrations[n]!()))) register(program);

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
