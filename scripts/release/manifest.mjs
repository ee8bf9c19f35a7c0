#!/usr/bin/env node
// A published package's manifest without what only the monorepo uses. `npm pack` and `npm publish` run
// `prepack` (strip) before they read package.json and `postpack` (restore) after: the "@driverkit/source"
// export condition points into src/, which no tarball ships, so a consumer must never see it.
// The original is kept beside the manifest while packing; a pack that died half-way is mended by the next.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

const manifest = 'package.json';
const kept = '.package.json.unpacked';
const action = process.argv[2];

/** Drops every "@driverkit/source" condition from an exports map, at any depth. */
function strip(exportsMap) {
  if (typeof exportsMap !== 'object' || exportsMap === null) return exportsMap;
  return Object.fromEntries(Object.entries(exportsMap).filter(([k]) => k !== '@driverkit/source').map(([k, v]) => [k, strip(v)]));
}

if (action === 'strip') {
  if (existsSync(kept)) renameSync(kept, manifest);
  const text = readFileSync(manifest, 'utf8');
  const pkg = JSON.parse(text);
  writeFileSync(kept, text);
  pkg.exports = strip(pkg.exports);
  // Only the monorepo runs these.
  delete pkg.scripts;
  delete pkg.devDependencies;
  writeFileSync(manifest, `${JSON.stringify(pkg, null, 2)}\n`);
} else if (action === 'restore') {
  if (existsSync(kept)) renameSync(kept, manifest);
} else {
  console.error('usage: manifest.mjs strip|restore (run from a package directory, as npm runs prepack and postpack)');
  process.exit(2);
}
