/**
 * `npm run bench`: every benchmark of the project, one after the other.
 * Benchmarks that have not landed yet say so.
 */
const parts: { name: string; module: string }[] = [
  { name: 'decode', module: './pcap/decode.js' },
  { name: 'classify', module: './classify/main.js' },
];

let ran = 0;
for (const part of parts) {
  let mod: { main?: (argv: string[]) => Promise<unknown> | unknown };
  try {
    mod = await import(part.module);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') {
      console.log(`[${part.name}] not yet: this benchmark has not landed`);
      continue;
    }
    throw e;
  }
  if (typeof mod.main === 'function') {
    console.log(`\n=== ${part.name} ===`);
    await mod.main(process.argv.slice(2));
    ran++;
  }
}
console.log(`\n[replay] not yet: the end-to-end replay benchmark comes with the replay issue`);
if (ran === 0) console.log('no benchmark ran');
