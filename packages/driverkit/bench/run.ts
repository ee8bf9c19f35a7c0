// Runs one benchmark file's `run()`: `node --import tsx bench/run.ts <name>` (see index.ts).
export {};
const name = process.argv[2];
const bench = (await import(`./${name}.bench.ts`)) as { run(): void | Promise<void> };
await bench.run();
