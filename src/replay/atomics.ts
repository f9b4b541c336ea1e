// Atomics.waitAsync (V8, Node ≥ 16; not in this TypeScript lib): waits that leave the event loop running.

/** Atomics.waitAsync: `async` false when the value already differs (or timed out at once), else a promise of the outcome. */
export const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, i: number, v: number, t: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync.bind(Atomics);

/** Wait (without blocking the event loop) until a[i] != v, or `ms` ms. */
export async function waitChange(a: Int32Array, i: number, v: number, ms = 50): Promise<void> {
  const r = waitAsync(a, i, v, ms);
  if (r.async) await r.value;
}
