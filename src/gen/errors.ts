/**
 * Generator errors: one class, stable codes. A bad knob names the option (as
 * the API spells it) and what was expected.
 */
import { SgfError } from '../model/errors.js';
export const GEN_ERROR = {
  /** An option is out of range or of the wrong type. */
  BAD_OPTION: 'SGF_GEN_BAD_OPTION',
  /** The options ask for more than the cloud allows; pass `stress` to exceed it on purpose. */
  OVER_LIMIT: 'SGF_GEN_OVER_LIMIT',
  /** The topology given to the traffic generator is invalid or has nothing to send traffic to. */
  BAD_TOPOLOGY: 'SGF_GEN_BAD_TOPOLOGY',
} as const;
export type GenErrorCode = (typeof GEN_ERROR)[keyof typeof GEN_ERROR];

export class GenError extends SgfError {
  constructor(readonly code: GenErrorCode, message: string, readonly option?: string) {
    super(message);
    this.name = 'GenError';
  }
}

/** Check an integer option: `lo ≤ v ≤ hi`. */
export function checkInt(name: string, v: unknown, lo: number, hi: number = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    throw new GenError(GEN_ERROR.BAD_OPTION, `${name} must be an integer from ${lo} to ${hi}, got ${JSON.stringify(v)}`, name);
  }
  return v;
}

/** Check a share (a fraction of flows, rules...): a number within 0..1. */
export function checkShare(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) {
    throw new GenError(GEN_ERROR.BAD_OPTION, `${name} must be a share within 0..1, got ${JSON.stringify(v)}`, name);
  }
  return v;
}

/** Check a positive finite number. */
export function checkPositive(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new GenError(GEN_ERROR.BAD_OPTION, `${name} must be a positive number, got ${JSON.stringify(v)}`, name);
  }
  return v;
}
