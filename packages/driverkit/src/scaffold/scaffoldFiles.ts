// The files every scaffolded driver has, whatever its family: the user client, the client app, the test
// on the virtual bench, and the package around them. `__NAME__` is the driver's class name.

/** The user client an app gets from IOServiceOpen: selector 0 answers the driver's Identity(). */
export const userClientSource = `// The user client an app gets from IOServiceOpen on __NAME__ (Info.plist's UserClientProperties).
// Each selector is checked by its dispatch entry (counts and sizes) before it reaches the driver.
import { IOReturnError, IOService, IOUserClient, OSData, kIOReturnBadArgument, kIOReturnNoDevice, kIOUserClientVariableStructureSize, type IOUserClientMethodArguments, type IOUserClientMethodDispatch, type OSObject } from '@driverkit/driverkit';
import type { __NAME__ } from './__NAME__.js';

/**
 * The type the client app passes to IOServiceOpen for this user client. A family's own user client
 * (a serial port's, an audio driver's) keeps the others.
 */
export const k__NAME__UserClientType = 0x64726b74;

/** The selectors the client app calls. */
export const enum __NAME__Method {
  /** Structure output: what the driver drives, as UTF-8. */
  Identify = 0,
  Count = 1,
}

const methods: IOUserClientMethodDispatch[] = [];
methods[__NAME__Method.Identify] = {
  function: (target, _reference, args) => {
    const driver = (target as __NAME__UserClient).driver;
    if (!driver) throw new IOReturnError(kIOReturnNoDevice, '__NAME__UserClient: the driver has stopped');
    args.structureOutput = OSData.withBytes(new TextEncoder().encode(driver.Identity()));
  },
  checkCompletionExists: 0,
  checkScalarInputCount: 0,
  checkStructureInputSize: 0,
  checkScalarOutputCount: 0,
  checkStructureOutputSize: kIOUserClientVariableStructureSize,
};

export class __NAME__UserClient extends IOUserClient {
  driver: __NAME__ | null = null;

  override async Start(provider: IOService): Promise<void> {
    await super.Start(provider);
    // The provider is the driver that made this user client in NewUserClient.
    this.driver = provider as __NAME__;
  }

  override async ExternalMethod(selector: bigint, args: IOUserClientMethodArguments, _dispatch: IOUserClientMethodDispatch | null, target: OSObject | null, reference: unknown): Promise<number> {
    // Never index the table without checking the selector against its length.
    if (selector >= BigInt(__NAME__Method.Count)) return kIOReturnBadArgument;
    return super.ExternalMethod(selector, args, methods[Number(selector)]!, target ?? this, reference);
  }

  override async Stop(provider: IOService): Promise<void> {
    this.driver = null;
    await super.Stop(provider);
  }
}
`;

/** The package's entry: the classes its personalities name (IOUserClass) must be exported here. */
export const indexSource = `// The classes Info.plist names (IOUserClass): the host loads them from this module.
export { __NAME__ } from './__NAME__.js';
export { __NAME__UserClient } from './__NAME__UserClient.js';
`;

/** The client app. */
export const clientSource = `#!/usr/bin/env node
// __NAME__'s client app: finds the driver through the host, opens its user client and asks what it
// drives. \`node dist/src/client.js [--socket <path>]\` while \`npx driverkit run .\` runs.
import { IOConnectCallMethod, IOMainPortCreate, IOServiceClose, IOServiceGetMatchingService, IOServiceNameMatching, IOServiceOpen } from '@driverkit/driverkit/client';
import { __NAME__Method, k__NAME__UserClientType } from './__NAME__UserClient.js';

const argv = process.argv.slice(2);
const socket = argv.includes('--socket') ? argv[argv.indexOf('--socket') + 1] : undefined;

async function main(): Promise<number> {
  const port = IOMainPortCreate(socket);
  try {
    const service = await IOServiceGetMatchingService(port, IOServiceNameMatching('__NAME__'));
    if (!service) {
      console.error('__NAME__ is not running (start it with \`npx driverkit run .\`)');
      return 1;
    }
    const connection = await IOServiceOpen(service, k__NAME__UserClientType);
    try {
      const { structureOutput } = await IOConnectCallMethod(connection, __NAME__Method.Identify, { structureOutputSize: 4096 });
      console.log(\`__NAME__: \${new TextDecoder().decode(structureOutput)}\`);
      return 0;
    } finally {
      await IOServiceClose(connection);
    }
  } catch (e) {
    // An IOReturnError's message names its kIOReturn code.
    console.error(\`__NAME__ client: \${(e as Error).message}\`);
    return 1;
  } finally {
    port.close();
  }
}

process.exitCode = await main();
`;

/** The test: the driver as a user runs it, on the virtual bench, with the client app talking to it. */
export function testSource(expect: string): string {
  return `// __NAME__ as a user runs it: \`driverkit run\` on this package (the driver in its own process, on the
// virtual bench's device), and the client app in another process.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const project = fileURLToPath(new URL('../..', import.meta.url));
const driverkit = join(dirname(createRequire(import.meta.url).resolve('@driverkit/driverkit/package.json')), 'bin/driverkit.mjs');

test('__NAME__ starts on its device and answers its client app', async () => {
  const socket = join(mkdtempSync(join(tmpdir(), '__NAME__-')), 'host.sock');
  const host = spawn(process.execPath, [driverkit, 'run', project, '--socket', socket], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  host.stdout.on('data', (d: Buffer) => (output += d.toString()));
  host.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((r) => host.once('exit', (code) => r(code)));
  try {
    for (const end = Date.now() + 30_000; !/started __NAME__ on /.test(output); ) {
      if (Date.now() > end || host.exitCode !== null) assert.fail(\`__NAME__ did not start; the host said:\\n\${output}\`);
      await new Promise((r) => setTimeout(r, 50));
    }
    let said = '';
    // The driver registers itself at the end of its Start: ask until it answers.
    for (const end = Date.now() + 15_000; ; ) {
      said = await exec(process.execPath, [join(project, 'dist/src/client.js'), '--socket', socket]).then((r) => r.stdout, (e: { stderr?: string }) => e.stderr ?? String(e));
      if (said.startsWith('__NAME__: ') || Date.now() > end) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.match(said, new RegExp(${JSON.stringify(`^__NAME__: ${expect}`)}, 'm'));
  } finally {
    if (host.exitCode === null) host.kill('SIGINT');
  }
  assert.equal(await exited, 0, output);
});
`;
}

export const tsconfigSource = `${JSON.stringify(
  {
    compilerOptions: {
      target: 'ES2022',
      lib: ['ES2023'],
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      noImplicitOverride: true,
      skipLibCheck: true,
      types: ['node'],
      rootDir: '.',
      outDir: 'dist',
      sourceMap: true,
    },
    include: ['src', 'test'],
  },
  null,
  2,
)}\n`;

export const gitignoreSource = 'node_modules/\ndist/\n';
