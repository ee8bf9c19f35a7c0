// `npm start`: the driver host on the virtual bench with every sample driver package in samples/;
// once they have started, each sample's client (package.json "driverkit.startClient") runs once, so
// the samples show themselves working. Ctrl-C stops the host, its driver processes and the families'
// virtual devices.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const samplesDir = join(root, 'samples');
const manifest = (dir) => (existsSync(join(dir, 'package.json')) ? JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) : {});
const isDriverPackage = (dir) => existsSync(join(dir, 'Info.plist')) || Boolean(manifest(dir).driverkit?.IOKitPersonalities);
const samples = existsSync(samplesDir)
  ? readdirSync(samplesDir)
      .map((d) => join(samplesDir, d))
      .filter(isDriverPackage)
  : [];
if (samples.length === 0) console.log('no sample drivers in samples/ yet: starting the host on its own (try `npx driverkit ioreg -l`)');

const args = process.argv.slice(2);
const bin = join(root, 'packages/driverkit/bin/driverkit.mjs');
const host = spawn(process.execPath, [bin, 'run', ...samples, ...args], { stdio: ['inherit', 'pipe', 'inherit'] });
let seen = '';
let clientsRan = false;
host.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  if (clientsRan) return;
  seen += chunk.toString();
  if (seen.includes('following services')) {
    clientsRan = true;
    void runClients();
  }
});

async function runClients() {
  const socketAt = args.indexOf('--socket');
  const socket = socketAt >= 0 ? ['--socket', args[socketAt + 1]] : [];
  for (const dir of samples) {
    const command = manifest(dir).driverkit?.startClient;
    if (!command) continue;
    const [script, ...rest] = command.split(/\s+/);
    console.log(`\n$ ${join('samples', dir.split('/').pop(), script)} ${rest.join(' ')}`);
    await new Promise((resolve) => {
      const client = spawn(process.execPath, [join(dir, script), ...socket, ...rest], { stdio: 'inherit' });
      client.on('exit', resolve);
    });
  }
  console.log('\nthe host keeps running: try `npx driverkit ioreg -l` in another terminal; Ctrl-C stops it');
}

// The terminal's Ctrl-C reaches the host directly (same process group); this process waits for it.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => host.kill('SIGTERM'));
host.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
