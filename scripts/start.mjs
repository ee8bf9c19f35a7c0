// `npm start`: the driver host on the virtual bench, with every sample driver package in samples/.
// Ctrl-C stops the host, its driver processes and the families' virtual devices.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const samplesDir = join(root, 'samples');
const isDriverPackage = (dir) => {
  if (existsSync(join(dir, 'Info.plist'))) return true;
  const pkg = join(dir, 'package.json');
  return existsSync(pkg) && Boolean(JSON.parse(readFileSync(pkg, 'utf8')).driverkit?.IOKitPersonalities);
};
const samples = existsSync(samplesDir)
  ? readdirSync(samplesDir)
      .map((d) => join(samplesDir, d))
      .filter(isDriverPackage)
  : [];
if (samples.length === 0) console.log('no sample drivers in samples/ yet: starting the host on its own (try `npx driverkit ioreg -l`)');
const bin = join(root, 'packages/driverkit/bin/driverkit.mjs');
const child = spawn(process.execPath, [bin, 'run', ...samples, ...process.argv.slice(2)], { stdio: 'inherit' });
// The terminal's Ctrl-C reaches the host directly (same process group); this process waits for it.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => child.kill('SIGTERM'));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
