/**
 * Progress on stderr while the bench runs: a bar (cli-progress) when stderr
 * is a terminal, plain numbered lines otherwise (CI logs, pipes), nothing
 * with --quiet. Steps are counted in advance by the run plan; `detail` lines
 * (one per measured run) show in plain mode and as the bar's trailing text.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  /** Start the next planned step. */
  step(label: string): void;
  /** A finer note within the current step. */
  detail(text: string): void;
  /** A line that must be seen (e.g. a skipped section), in every mode but quiet. */
  note(text: string): void;
  done(): void;
}

export type ProgressStyle = 'bar' | 'lines' | 'quiet';

export function progressStyle(opts: { quiet?: boolean; stream?: NodeJS.WriteStream }): ProgressStyle {
  if (opts.quiet) return 'quiet';
  return (opts.stream ?? process.stderr).isTTY ? 'bar' : 'lines';
}

function clock(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export function createProgress(total: number, style: ProgressStyle, stream: NodeJS.WritableStream = process.stderr): Progress {
  const t0 = performance.now();
  let n = 0;
  let label = '';
  if (style === 'quiet') return { step() {}, detail() {}, note() {}, done() {} };
  if (style === 'lines') {
    const width = String(total).length;
    return {
      step(l) {
        n++;
        label = l;
        stream.write(`[bench ${String(Math.min(n, total)).padStart(width)}/${total} ${clock(performance.now() - t0)}] ${l}\n`);
      },
      detail(text) {
        stream.write(`    ${text}\n`);
      },
      note(text) {
        stream.write(`[bench] ${text}\n`);
      },
      done() {
        stream.write(`[bench] done in ${clock(performance.now() - t0)}\n`);
      },
    };
  }
  const multi = new cliProgress.MultiBar(
    {
      stream: stream as NodeJS.WriteStream,
      format: 'bench [{bar}] {value}/{total} {elapsed} | {label}',
      hideCursor: true,
      clearOnComplete: true,
      barsize: 24,
      forceRedraw: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const bar = multi.create(total, 0, { label: 'starting', elapsed: clock(0) });
  const timer = setInterval(() => bar.update({ elapsed: clock(performance.now() - t0) }), 1000);
  timer.unref();
  return {
    step(l) {
      n++;
      label = l;
      bar.update(Math.min(n, total), { label: l, elapsed: clock(performance.now() - t0) });
    },
    detail(text) {
      bar.update({ label: `${label} · ${text}` });
    },
    note(text) {
      multi.log(`[bench] ${text}\n`);
    },
    done() {
      clearInterval(timer);
      bar.update(total, { label: 'done' });
      multi.stop();
    },
  };
}
