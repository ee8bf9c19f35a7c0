#!/usr/bin/env node
// Launcher kept in git so the npm bin link is valid before the first build; the CLI itself is built.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// Each device poll (LinuxNative.pollReadable: character devices libuv cannot watch) parks a
// threadpool thread, as does a data queue listened to across processes whose FIFO bell could not be
// made (the futex then): libuv's default of 4 would let a few of them starve the host's own file I/O.
// Set before anything uses the pool; driver processes inherit it.
process.env.UV_THREADPOOL_SIZE ??= '32';

const cli = fileURLToPath(new URL('../dist/cli/driverkit.js', import.meta.url));
if (!existsSync(cli)) {
  console.error('driverkit: the package is not built yet (no dist/). Run `npm run build` at the repository root.');
  process.exit(1);
}
await import(cli);
