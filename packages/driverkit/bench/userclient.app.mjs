// The app side of the user-client round trip (userclient.bench.ts), in its own process as apps are:
// times ExternalMethod calls to the driver and back (on the user client's own channel), and a bare echo over a Unix
// socket to the driver process, interleaved in rounds so both see the same machine. Prints the
// samples' medians as JSON.
import { connect } from 'node:net';
import { IOConnectCallScalarMethod, IOMainPortCreate, IOServiceClose, IOServiceGetMatchingService, IOServiceNameMatching, IOServiceOpen } from '@driverkit/driverkit/client';

const [hostSocket, echoSocket, rounds, perRound] = process.argv.slice(2);
const port = IOMainPortCreate(hostSocket);
const service = await IOServiceGetMatchingService(port, IOServiceNameMatching('EchoDriver'));
if (!service) throw new Error('no EchoDriver service');
const connection = await IOServiceOpen(service, 0);

const echo = connect(echoSocket);
await new Promise((r, j) => echo.once('connect', r).once('error', j));
echo.setNoDelay?.(true);
// A message the size of a two-scalar call's frame; the reply is awaited in full.
const message = Buffer.alloc(96, 1);
let pending = null;
let received = 0;
echo.on('data', (d) => {
  received += d.length;
  if (received >= message.length && pending) {
    received -= message.length;
    const r = pending;
    pending = null;
    r();
  }
});
const kinds = {
  call: async () => {
    const out = await IOConnectCallScalarMethod(connection, 0, [1n, 2n], 2);
    if (out[0] !== 2n || out[1] !== 3n) throw new Error(`wrong answer ${out}`);
  },
  echo: () =>
    new Promise((r) => {
      pending = r;
      echo.write(message);
    }),
};
const samples = { call: [], echo: [] };
for (const k of Object.keys(kinds)) for (let i = 0; i < 500; i++) await kinds[k](); // warm-up
for (let r = 0; r < Number(rounds); r++) {
  for (const k of Object.keys(kinds)) {
    for (let i = 0; i < Number(perRound); i++) {
      const t0 = process.hrtime.bigint();
      await kinds[k]();
      samples[k].push(Number(process.hrtime.bigint() - t0) / 1e3);
    }
  }
}
const p = (s, q) => s.sort((a, b) => a - b)[Math.floor(s.length * q)];
console.log(JSON.stringify({ call: { p50: p(samples.call, 0.5), p99: p(samples.call, 0.99) }, echo: { p50: p(samples.echo, 0.5), p99: p(samples.echo, 0.99) }, calls: samples.call.length }));
echo.end();
await IOServiceClose(connection);
port.close();
