/**
 * Errors of the bench harness, with stable codes:
 *   SGF_BENCH_MISMATCH     the WASM engine or classifier disagrees with the reference (the run stops)
 *   SGF_BENCH_BAD_OPTION   a command-line option is wrong (exit 2)
 *   SGF_BENCH_NO_FIXTURES  fixtures/captures holds no capture with its topology
 *   SGF_BENCH_REPLAY       a replay reported damage or failed
 * (SGF_BENCH_BAD_REPORT, a report failing its schema, is report/schema.ts ReportError.)
 */
import { SgfError } from '../../src/model/errors.js';
export type BenchErrorCode = 'SGF_BENCH_MISMATCH' | 'SGF_BENCH_BAD_OPTION' | 'SGF_BENCH_NO_FIXTURES' | 'SGF_BENCH_REPLAY';

export class BenchError extends SgfError {
  constructor(readonly code: BenchErrorCode, message: string) {
    super(message);
    this.name = 'BenchError';
  }
}
