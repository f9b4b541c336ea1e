/**
 * Errors of the bench harness, with stable codes:
 *   SGF_BENCH_MISMATCH     the WASM engine or classifier disagrees with the reference (the run stops)
 *   SGF_BENCH_BAD_OPTION   a command-line option is wrong (exit 2)
 *   SGF_BENCH_NO_FIXTURES  fixtures/captures holds no capture with its topology
 *   SGF_BENCH_REPLAY       a replay reported damage or failed
 *   SGF_BENCH_BAD_REPORT   an earlier report cannot be read or is not JSON (one failing its
 *                          schema is report/schema.ts ReportError, with the same code)
 */
import { SgfError } from '../../src/model/errors.js';
export type BenchErrorCode = 'SGF_BENCH_MISMATCH' | 'SGF_BENCH_BAD_OPTION' | 'SGF_BENCH_NO_FIXTURES' | 'SGF_BENCH_REPLAY' | 'SGF_BENCH_BAD_REPORT';

export class BenchError extends SgfError {
  constructor(readonly code: BenchErrorCode, message: string) {
    super(message);
    this.name = 'BenchError';
  }
}
