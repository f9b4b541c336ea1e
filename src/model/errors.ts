/**
 * The one base of every sgfilter error: `SgfError`, with a stable `code`.
 * Scripts and tests match on codes; messages may be reworded.
 *
 * One naming scheme: `SGF_<AREA>_<CONDITION>`, upper case, where AREA is one
 * of ERROR_AREAS (the room that raises it) and CONDITION says what went
 * wrong, e.g. `SGF_PCAP_TRUNCATED_RECORD`, `SGF_GEN_BAD_OPTION`. Codes that
 * were spelled otherwise before (`SGF_ERR_TOPOLOGY`, `SGF_BAD_OPTION`...) are
 * kept as aliases: `LEGACY_CODES` maps each old spelling to its new code, an
 * error's `legacyCode` gives its old spelling, and `hasErrorCode(e, code)`
 * accepts either (docs/errors.md lists them all).
 */

/** The AREA part of a code. */
export const ERROR_AREAS = [
  'PCAP', // capture files (pcap/errors.ts)
  'PCAPNG', // pcapng-only conditions of capture files
  'TOPOLOGY', // topology loading (parse/issues.ts)
  'CLASSBENCH', // ClassBench filter sets (parse/classbench.ts)
  'PACKET', // packet specs (model/packet-spec.ts)
  'ENGINE', // engine options and timestamps (model/shard.ts)
  'OUTPUT', // output files (replay/output.ts)
  'DECISIONS', // binary decisions files (replay/decision-file.ts)
  'GEN', // the generator (gen/errors.ts)
  'CASES', // assert cases files (analysis/assert.ts)
  'SCOPE', // diff --scope (analysis/diff.ts)
  'ANALYSIS', // header-space analysis budgets (analysis/space.ts)
  'TABLE', // compiled tables (compile/format.ts)
  'WASM', // the WASM module (wasm/loader.ts)
  'BENCH', // the bench harness (bench/)
  'MERGE', // merging the parts of a shard set (replay/merge.ts)
  'API', // a library function called the wrong way
  'INTERNAL', // a broken internal invariant (a bug: please report it)
] as const;
export type ErrorArea = (typeof ERROR_AREAS)[number];

/** The scheme every code follows. */
export const ERROR_CODE_PATTERN = new RegExp(`^SGF_(${ERROR_AREAS.join('|')})_[A-Z0-9]+(_[A-Z0-9]+)*$`);

/** Old spellings (before the one scheme) → the code that replaced them. */
export const LEGACY_CODES: Readonly<Record<string, string>> = {
  SGF_ERR_TOPOLOGY: 'SGF_TOPOLOGY_INVALID',
  SGF_ERR_CLASSBENCH: 'SGF_CLASSBENCH_INVALID',
  SGF_ERR_PACKET_SPEC: 'SGF_PACKET_BAD_SPEC',
  SGF_ERR_OUTPUT: 'SGF_OUTPUT_UNUSABLE',
  SGF_ERR_CASES: 'SGF_CASES_INVALID',
  SGF_BAD_OPTION: 'SGF_ENGINE_BAD_OPTION',
  SGF_BAD_TIMESTAMP: 'SGF_ENGINE_BAD_TIMESTAMP',
  SGF_ERR_TABLE_MAGIC: 'SGF_TABLE_BAD_MAGIC',
  SGF_ERR_TABLE_VERSION: 'SGF_TABLE_BAD_VERSION',
  SGF_ERR_TABLE_LENGTH: 'SGF_TABLE_BAD_LENGTH',
  SGF_ERR_TABLE_CHECKSUM: 'SGF_TABLE_BAD_CHECKSUM',
  SGF_ERR_TABLE_SECTION: 'SGF_TABLE_BAD_SECTION',
  SGF_ERR_TABLE_TOO_BIG: 'SGF_TABLE_TOO_BIG',
  SGF_ERR_TABLE_LIST: 'SGF_TABLE_NO_LIST',
  SGF_ERR_WASM: 'SGF_WASM_LOAD_FAILED',
};

const LEGACY_OF = new Map(Object.entries(LEGACY_CODES).map(([old, code]) => [code, old]));

export abstract class SgfError extends Error {
  /** Stable code, `SGF_<AREA>_<CONDITION>`. */
  abstract readonly code: string;

  /** The code's spelling before the one scheme, when it had another. */
  get legacyCode(): string | undefined {
    return LEGACY_OF.get(this.code);
  }
}

/** True when `e` is an SgfError with `code` (new or legacy spelling). */
export function hasErrorCode(e: unknown, code: string): e is SgfError {
  return e instanceof SgfError && (e.code === code || e.code === LEGACY_CODES[code]);
}

/** A library function called the wrong way (an unknown interface id, a one-shot reader read twice...). */
export class ApiUsageError extends SgfError {
  readonly code = 'SGF_API_MISUSE';
  constructor(message: string) {
    super(message);
    this.name = 'ApiUsageError';
  }
}

/** A broken internal invariant: a bug in sgfilter, never bad input. */
export class InternalError extends SgfError {
  readonly code = 'SGF_INTERNAL_INVARIANT';
  constructor(message: string) {
    super(message);
    this.name = 'InternalError';
  }
}
