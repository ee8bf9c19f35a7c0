#!/usr/bin/env node
// The client app of Apple's sample, as a command line: the same actions the original offers (each
// kind of call, checked and unchecked, and the async callback), against the NullDriver the host runs.
//
//   nulldriver-client [--socket <path>] <action>…
//   actions: scalar struct large-struct checked-scalar checked-struct register-async async all menu

import { createInterface } from 'node:readline/promises';
import {
  IOConnectCallAsyncMethod,
  IOConnectCallMethod,
  IOConnectCallScalarMethod,
  IOConnectCallStructMethod,
  IOMainPortCreate,
  IONotificationPortCreate,
  IOServiceClose,
  IOServiceGetMatchingService,
  IOServiceNameMatching,
  IOServiceOpen,
  ioReturnString,
  isIOReturnError,
  kIOReturnSuccess,
  type IOConnection,
  type IONotificationPort,
} from '@driverkit/driverkit/client';
import { ExternalMethodType, readDataStruct, sizeofDataStruct, sizeofOversizedDataStruct, writeDataStruct } from './NullDriverShared';

const dextIdentifier = 'NullDriver';
const out = (s: string) => console.log(s);

interface Session {
  connection: IOConnection;
  port: IONotificationPort;
  callbacks: bigint[][];
  onCallback: (() => void) | null;
}

const scalarInput = Array.from({ length: 16 }, (_, i) => BigInt(i));

const actions: Record<string, (s: Session) => Promise<void>> = {
  async scalar({ connection }) {
    const output = await IOConnectCallScalarMethod(connection, ExternalMethodType.Scalar, scalarInput, 16);
    out(`Scalar: sent ${scalarInput.join(' ')}; got ${output.join(' ')}`);
  },
  async struct({ connection }) {
    const output = await IOConnectCallStructMethod(connection, ExternalMethodType.Struct, writeDataStruct({ foo: 300n, bar: 70000n }), sizeofDataStruct);
    const r = readDataStruct(output);
    out(`Struct: sent foo 300 bar 70000; got foo ${r.foo} bar ${r.bar}`);
  },
  async 'large-struct'({ connection }) {
    // Larger than a message can carry: it travels through memory the driver maps.
    const input = new Uint8Array(sizeofOversizedDataStruct);
    writeDataStruct({ foo: 1n, bar: 2n }, input);
    const { structureOutput } = await IOConnectCallMethod(connection, ExternalMethodType.Struct, { structureInput: input, structureOutputSize: sizeofOversizedDataStruct });
    const r = readDataStruct(structureOutput);
    out(`Large struct: sent ${input.length} bytes (foo 1 bar 2); got ${structureOutput.length} bytes, foo ${r.foo} bar ${r.bar}`);
  },
  async 'checked-scalar'({ connection }) {
    const output = await IOConnectCallScalarMethod(connection, ExternalMethodType.CheckedScalar, scalarInput, 16);
    out(`Checked scalar: sent ${scalarInput.join(' ')}; got ${output.join(' ')}`);
  },
  async 'checked-struct'({ connection }) {
    const output = await IOConnectCallStructMethod(connection, ExternalMethodType.CheckedStruct, writeDataStruct({ foo: 5n, bar: 6n }), sizeofDataStruct);
    const r = readDataStruct(output);
    out(`Checked struct: sent foo 5 bar 6; got foo ${r.foo} bar ${r.bar}`);
  },
  async 'register-async'(session) {
    const callback = (_refcon: unknown, result: number, args: bigint[]) => {
      out(`Async callback: ${result === kIOReturnSuccess ? 'success' : ioReturnString(result)}, type ${args[0]}, foo ${args[1]} bar ${args[2]}`);
      session.callbacks.push(args);
      session.onCallback?.();
    };
    const { structureOutput } = await IOConnectCallAsyncMethod(session.connection, ExternalMethodType.RegisterAsyncCallback, session.port, { callback }, {
      structureInput: writeDataStruct({ foo: 7n, bar: 8n }),
      structureOutputSize: sizeofDataStruct,
    });
    const r = readDataStruct(structureOutput);
    out(`Registered the async callback: got foo ${r.foo} bar ${r.bar} now; the driver answers again in about 5 s`);
  },
  async async({ connection }) {
    await IOConnectCallStructMethod(connection, ExternalMethodType.AsyncRequest, writeDataStruct({ foo: 100n, bar: 200n }), 0);
    out('Async request sent (foo 100 bar 200): the driver answers through the callback in about 5 s');
  },
};

async function waitForCallbacks(session: Session, count: number, timeoutMs = 15_000): Promise<void> {
  if (session.callbacks.length >= count) return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no async callback within ${timeoutMs / 1000} s`)), timeoutMs);
    session.onCallback = () => {
      if (session.callbacks.length < count) return;
      clearTimeout(timer);
      resolve();
    };
  });
}

async function menu(session: Session): Promise<void> {
  const names = Object.keys(actions);
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    for (;;) {
      out('');
      names.forEach((n, i) => out(`  ${i + 1}. ${n}`));
      out('  q. quit');
      const answer = (await rl.question('Choose an action: ')).trim();
      if (answer === 'q' || answer === '') return;
      const name = names[Number(answer) - 1] ?? answer;
      const action = actions[name];
      if (!action) out(`No action ${answer}`);
      else await run(name, action, session);
    }
  } finally {
    rl.close();
  }
}

async function run(name: string, action: (s: Session) => Promise<void>, session: Session): Promise<boolean> {
  try {
    await action(session);
    return true;
  } catch (e) {
    out(`${name} failed: ${isIOReturnError(e) ? `${e.name}: ${e.message}` : String(e)}`);
    return false;
  }
}

async function main(argv: string[]): Promise<number> {
  const socketAt = argv.indexOf('--socket');
  const socketPath = socketAt >= 0 ? argv[socketAt + 1] : undefined;
  const requested = socketAt >= 0 ? argv.filter((_a, i) => i !== socketAt && i !== socketAt + 1) : argv;
  const mainPort = IOMainPortCreate(socketPath);
  try {
    const service = await IOServiceGetMatchingService(mainPort, IOServiceNameMatching(dextIdentifier));
    if (!service) {
      out(`No ${dextIdentifier} is running: start the host with it (npm start, or driverkit run samples/NullDriver)`);
      return 1;
    }
    const connection = await IOServiceOpen(service, 0);
    out(`Opened a connection to ${service.name} (registry entry 0x${service.registryEntryID.toString(16)})`);
    const session: Session = { connection, port: IONotificationPortCreate(mainPort), callbacks: [], onCallback: null };
    let ok = true;
    const list = requested.length === 0 ? ['menu'] : requested;
    for (const name of list) {
      if (name === 'menu') await menu(session);
      else if (name === 'all') {
        for (const n of ['scalar', 'struct', 'large-struct', 'checked-scalar', 'checked-struct', 'register-async', 'async']) ok = (await run(n, actions[n]!, session)) && ok;
        await waitForCallbacks(session, 1);
      } else if (actions[name]) {
        ok = (await run(name, actions[name]!, session)) && ok;
        if (name === 'register-async' || name === 'async') await waitForCallbacks(session, session.callbacks.length + 1);
      } else {
        out(`Unknown action ${name}; the actions are: ${Object.keys(actions).join(', ')}, all, menu`);
        ok = false;
      }
    }
    session.port.destroy();
    await IOServiceClose(connection);
    return ok ? 0 : 1;
  } catch (e) {
    out(isIOReturnError(e) ? `${e.name}: ${e.message}` : String(e));
    return 1;
  } finally {
    mainPort.close();
  }
}

process.exitCode = await main(process.argv.slice(2));
