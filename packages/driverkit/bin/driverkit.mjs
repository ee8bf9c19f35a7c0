#!/usr/bin/env node
// Launcher kept in git so the npm bin link is valid before the first build; the CLI itself is built.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../dist/cli/driverkit.js', import.meta.url));
if (!existsSync(cli)) {
  console.error('driverkit: the package is not built yet (no dist/). Run `npm run build` at the repository root.');
  process.exit(1);
}
await import(cli);
