/**
 * The command line of every bench script that runs on its own
 * (bench/replay/main.ts, bench/replay/ab.ts, bench/library/ab.ts,
 * bench/classify/main.ts, bench/classify/dpdk.ts, bench/pcap/decode.ts), on
 * commander like `npm run bench` (bench/main.ts) and the CLI: `--help` prints
 * the options, and an unknown option or a bad value ("abc", "0", "1.5") is
 * refused with what was expected before minutes of measuring start. The
 * integer parser is the CLI's one (src/cli/common.ts).
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { intOption } from '../src/cli/common.js';

export { intOption };

/** A bench script's command: strict options, usage errors thrown as CommanderError. */
export function benchProgram(name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
}

/** Parses the user's arguments (no node, no script path) and returns the options. */
export function parseBenchArgs<T extends object>(cmd: Command, argv: string[]): T {
  cmd.parse(argv, { from: 'user' });
  return cmd.opts<T>();
}

/** A comma-separated list option; with `choices`, each item must be one of them. */
export function listOption(choices?: readonly string[]): (value: string) => string[] {
  return (value: string): string[] => {
    const items = value.split(',').map((s) => s.trim()).filter(Boolean);
    const bad = choices ? items.filter((x) => !choices.includes(x)) : [];
    if (items.length === 0 || bad.length) {
      throw new InvalidArgumentError(`expected a comma-separated list${choices ? ` of ${choices.join(', ')}` : ''}${bad.length ? `; got ${bad.join(', ')}` : ''}.`);
    }
    return items;
  };
}

/** A comma-separated list of integers, each from `min` to `max` (the CLI's integer rules for each). */
export function intListOption(min: number, max?: number): (value: string) => number[] {
  const one = intOption(min, max);
  return (value: string): number[] => listOption()(value).map((item) => one(item));
}

/**
 * Runs a script's `main` as the process: `--help` exits 0, a usage error 2
 * (commander has printed it), any other error prints its message and exits 1.
 */
export function runBenchScript(main: () => Promise<unknown>): void {
  main().catch((err: unknown) => {
    if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
