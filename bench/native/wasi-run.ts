/**
 * Runs the native C baseline's WebAssembly build (bench/native/replay.c
 * compiled with clang --target=wasm32-wasi: bench/harness/native.ts
 * buildNativeWasm) in this Node's V8 through node:wasi, with the same
 * arguments and the same JSON output as the native binary:
 *
 *   node --no-warnings dist/bench/native/wasi-run.js BUILD.wasm RULES CAPTURE [the binary's options]
 *
 * The rule file's and the capture's directories are the module's only
 * preopened directories (read through WASI's file calls, so `--mode read`
 * reads the capture with pread as the native binary does). Exits with the
 * module's exit code (2 and its message on stderr for bad input, as native).
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { WASI } from 'node:wasi';

function main(argv: string[]): number {
  const [wasmPath, rules, capture, ...rest] = argv;
  if (!wasmPath || !rules || !capture) {
    process.stderr.write('usage: wasi-run.js BUILD.wasm RULES CAPTURE [--mode mem|read] [--passes K] [--warmup W] [--capacity N]\n');
    return 2;
  }
  const wasi = new WASI({
    version: 'preview1',
    args: ['sgfilter-native', `/rules/${basename(rules)}`, `/capture/${basename(capture)}`, ...rest],
    env: {},
    preopens: { '/rules': dirname(resolve(rules)), '/capture': dirname(resolve(capture)) },
    returnOnExit: true,
  });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(wasmPath)), wasi.getImportObject() as WebAssembly.Imports);
  return wasi.start(instance as Parameters<WASI['start']>[0]);
}

process.exitCode = main(process.argv.slice(2));
