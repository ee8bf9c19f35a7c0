#!/usr/bin/env node
// Creates packages/<folder> with the project's package layout (exports map with the dev condition,
// tsup build, jest preset, tsconfig). Used once per family; kept so a new family starts identical.
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const [folder, description] = process.argv.slice(2);
if (!folder || !description) {
  console.error('usage: node scripts/new-package.mjs <folder> "<description>"');
  process.exit(1);
}
const dir = join('packages', folder);
if (existsSync(dir)) {
  console.error(`${dir} exists already`);
  process.exit(1);
}
mkdirSync(join(dir, 'src'), { recursive: true });
const name = `@driverkit/${folder}`;
const entry = (base) => ({
  '@driverkit/source': `./src/${base}.ts`,
  import: { types: `./dist/${base}.d.ts`, default: `./dist/${base}.js` },
  require: { types: `./dist/${base}.d.cts`, default: `./dist/${base}.cjs` },
});
const pkg = {
  name,
  version: '0.0.0',
  description,
  license: 'MIT',
  type: 'module',
  sideEffects: false,
  repository: { type: 'git', url: 'git+https://example.invalid/driverkit.git', directory: dir },
  engines: { node: '>=20' },
  main: './dist/index.cjs',
  module: './dist/index.js',
  types: './dist/index.d.ts',
  exports: { '.': entry('index'), './package.json': './package.json' },
  files: ['dist'],
  scripts: {
    build: 'tsup',
    typecheck: 'tsc -p tsconfig.json',
    prepack: 'node ../../scripts/release/manifest.mjs strip',
    postpack: 'node ../../scripts/release/manifest.mjs restore',
  },
  dependencies: folder === 'driverkit' ? {} : { '@driverkit/driverkit': '^0.0.0' },
};
writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
writeFileSync(
  join(dir, 'tsconfig.json'),
  JSON.stringify({ extends: '../../tsconfig.base.json', include: ['src', 'test', 'bench', '*.ts'] }, null, 2) + '\n',
);
writeFileSync(
  join(dir, 'tsup.config.ts'),
  `import { defineConfig } from 'tsup';
import { preset } from '../../tsup.preset';

export default defineConfig({
  ...preset,
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
});
`,
);
writeFileSync(join(dir, 'jest.config.cjs'), `module.exports = { ...require('../../jest.preset.cjs') };\n`);
console.log(`created ${dir}`);
