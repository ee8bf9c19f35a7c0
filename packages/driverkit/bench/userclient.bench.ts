import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IOClientPolicy, IOHostSocket, IOServiceHost, IOUserClientRouter } from '@driverkit/driverkit';
import { figure, target } from './harness';

/**
 * A user-client call as apps make it: from an app process to the driver's process and back, on the
 * user client's own channel (IOConnectCallScalarMethod on the test fixture's EchoUserClient, method 0),
 * against a bare echo over a Unix socket between the same two processes (the fixture's driver serves one
 * when DRIVERKIT_BENCH_ECHO_SOCKET names where).
 */
export async function run(): Promise<void> {
  console.log('\nuser client');
  const dir = mkdtempSync(join(tmpdir(), 'dk-uc-bench-'));
  // The driver process runs as the drivers' account: it must be able to make its echo socket here.
  chmodSync(dir, 0o777);
  const echoPath = join(dir, 'echo.sock');
  process.env.DRIVERKIT_BENCH_ECHO_SOCKET = echoPath;
  const host = new IOServiceHost({ log: () => {} });
  const socket = new IOHostSocket(host, join(dir, 'host.sock'));
  // The router serves apps' IOServiceOpen and calls on the socket from here on.
  new IOUserClientRouter(host, socket, IOClientPolicy.empty());
  await socket.listen();
  host.addDriverBundle(fileURLToPath(new URL('../test/fixtures/drivers/UCDrivers', import.meta.url)));
  await host.whenIdle();
  delete process.env.DRIVERKIT_BENCH_ECHO_SOCKET;
  for (let i = 0; i < 200 && !existsSync(echoPath); i++) await new Promise((r) => setTimeout(r, 25));
  if (!existsSync(echoPath)) throw new Error('the driver process never made its echo socket');

  const app = spawn(process.execPath, [fileURLToPath(new URL('./userclient.app.mjs', import.meta.url)), socket.path, echoPath, '20', '250'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  app.stdout.on('data', (d) => (out += d));
  const code = await new Promise<number | null>((r) => app.once('exit', r));
  if (code !== 0) throw new Error(`the app process exited with ${code}`);
  const r = JSON.parse(out) as { call: { p50: number; p99: number }; echo: { p50: number; p99: number }; calls: number };
  console.log(`  ExternalMethod round trip, app → driver → app, p50   ${r.call.p50.toFixed(1).padStart(7)} µs   (p99 ${r.call.p99.toFixed(1)} µs, ${r.calls} calls)`);
  console.log(`    vs a bare Unix-socket echo, app ↔ driver, p50      ${r.echo.p50.toFixed(1).padStart(7)} µs   ratio ${(r.call.p50 / r.echo.p50).toFixed(2)}×`);
  target('ExternalMethod round trip p50 ≤ 2× a bare socket echo', r.call.p50 <= 2 * r.echo.p50, `${(r.call.p50 / r.echo.p50).toFixed(2)}×`);
  figure({ figure: 'user-client ExternalMethod round trip p50, app → driver → app', value: r.call.p50, unit: 'µs', baseline: 'bare Unix-socket echo, app ↔ driver process', baselineValue: r.echo.p50, goal: '≤ 2× baseline', met: r.call.p50 <= 2 * r.echo.p50 });

  await socket.close();
  await host.stop();
  rmSync(dir, { recursive: true, force: true });
}
