#!/usr/bin/env node
// One load process: opens CLIENTS connections to NullDriver (each its own socket to the host, as
// separate apps would), and on each calls CheckedScalar (16 scalars in, each + 1 out) back to back
// for SECONDS, checking every answer. Prints one JSON line: calls, wrong answers, errors by code, and
// a latency histogram (0.01 ms buckets) the parent merges across processes.
import { IOConnectCallScalarMethod, IOMainPortCreate, IOServiceGetMatchingService, IOServiceNameMatching, IOServiceOpen, IOServiceClose } from '@driverkit/driverkit/client';

const [socket, clients, seconds] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const kCheckedScalar = 2;
const input = Array.from({ length: 16 }, (_, i) => BigInt(i));
const histogram = new Map();
const errors = {};
let calls = 0;
let wrong = 0;

const ports = [];
const connections = [];
for (let i = 0; i < clients; i++) {
  const port = IOMainPortCreate(socket);
  const service = await IOServiceGetMatchingService(port, IOServiceNameMatching('NullDriver'));
  if (!service) throw new Error('no NullDriver service');
  ports.push(port);
  connections.push(await IOServiceOpen(service, 0));
}
process.stdout.write('ready\n');
const end = performance.now() + seconds * 1000;
await Promise.all(
  connections.map(async (c) => {
    while (performance.now() < end) {
      const t = performance.now();
      try {
        const out = await IOConnectCallScalarMethod(c, kCheckedScalar, input, 16);
        if (out.length !== 16 || out.some((v, i) => v !== BigInt(i + 1))) wrong++;
      } catch (e) {
        const code = e?.code ?? String(e);
        errors[code] = (errors[code] ?? 0) + 1;
      }
      const bucket = Math.round((performance.now() - t) * 100);
      histogram.set(bucket, (histogram.get(bucket) ?? 0) + 1);
      calls++;
    }
  }),
);
for (const c of connections) await IOServiceClose(c).catch(() => {});
for (const p of ports) p.close();
process.stdout.write(`${JSON.stringify({ calls, wrong, errors, histogram: [...histogram] })}\n`);
process.exit(0);
