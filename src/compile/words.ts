/** A growable little-endian u32 word buffer (the compiler's output area). */
export class Words {
  private buf = new Uint32Array(1024);
  length = 0;

  private grow(min: number): void {
    let cap = this.buf.length;
    while (cap < min) cap *= 2;
    const next = new Uint32Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  push(v: number): void {
    if (this.length === this.buf.length) this.grow(this.length + 1);
    this.buf[this.length++] = v >>> 0;
  }

  /** Reserve `n` zero words; returns the index of the first. */
  reserve(n: number): number {
    if (this.length + n > this.buf.length) this.grow(this.length + n);
    const at = this.length;
    this.buf.fill(0, at, at + n);
    this.length += n;
    return at;
  }

  set(i: number, v: number): void {
    this.buf[i] = v >>> 0;
  }

  get(i: number): number {
    return this.buf[i]!;
  }

  append(words: Uint32Array | readonly number[]): void {
    if (this.length + words.length > this.buf.length) this.grow(this.length + words.length);
    if (words instanceof Uint32Array) this.buf.set(words, this.length);
    else for (let i = 0; i < words.length; i++) this.buf[this.length + i] = words[i]! >>> 0;
    this.length += words.length;
  }

  /** Pad with zero words to a multiple of `n` words. */
  align(n: number): void {
    while (this.length % n !== 0) this.push(0);
  }

  view(): Uint32Array {
    return this.buf.subarray(0, this.length);
  }
}
