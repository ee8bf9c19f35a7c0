import { spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  IOClientPolicy,
  IOConnectCallAsyncMethod,
  IOConnectCallMethod,
  IOConnectCallScalarMethod,
  IOConnectCallStructMethod,
  IOConnectMapMemory64,
  IODriverAccount,
  IOHostConnection,
  IOHostSocket,
  IOSharedMemory,
  IOMainPortCreate,
  IOMessageChannel,
  IONotificationPortCreate,
  IORegistryEntryCreateCFProperties,
  IOServiceAddMatchingNotification,
  IOServiceClose,
  IOServiceGetMatchingService,
  IOServiceGetMatchingServices,
  IOServiceHost,
  IOServiceMatching,
  IOServiceNameMatching,
  IOServiceOpen,
  IOReturnError,
  IOUserClientRouter,
  OSArray,
  OSDictionary,
  OSNumber,
  OSSerializeBinary,
  kIOReturnBadArgument,
  kIOReturnNoCompletion,
  kIOReturnNoResources,
  kIOReturnNotAttached,
  kIOReturnNotPermitted,
  kIOReturnSuccess,
  kIOReturnUnsupported,
  kIODriverAccountName,
  kIOTerminatedNotification,
  kIOFirstMatchNotification,
  toOSDictionary,
  type IOMainPort,
  type IOServiceRef,
} from '../src/index';
import type { IOUserClientCall } from '../src/userclient/IOUserClientCall';
import { IOUserClientCallFrame } from '../src/userclient/IOUserClientCallFrame';
import { alive, waitFor } from './helpers';

const drivers = join(__dirname, 'fixtures/drivers');
const root = join(__dirname, '../../..');

function policyFile(rules: unknown[], mode = 0o644): string {
  const dir = mkdtempSync(join(tmpdir(), 'dk-policy-'));
  const path = join(dir, 'client-policy.plist');
  const entries = rules
    .map((r) => {
      const rule = r as { UID?: number; Executable?: string; Entitlements: Record<string, string[] | boolean> };
      const ent = Object.entries(rule.Entitlements)
        .map(([k, v]) => `<key>${k}</key>${Array.isArray(v) ? `<array>${v.map((x) => `<string>${x}</string>`).join('')}</array>` : v ? '<true/>' : '<false/>'}`)
        .join('');
      return `<dict>${rule.UID !== undefined ? `<key>UID</key><integer>${rule.UID}</integer>` : ''}${rule.Executable ? `<key>Executable</key><string>${rule.Executable}</string>` : ''}<key>Entitlements</key><dict>${ent}</dict></dict>`;
    })
    .join('');
  writeFileSync(path, `<?xml version="1.0" encoding="UTF-8"?><plist version="1.0"><dict><key>Clients</key><array>${entries}</array></dict></plist>`);
  chmodSync(path, mode);
  return path;
}

class Bench {
  host!: IOServiceHost;
  socket!: IOHostSocket;
  router!: IOUserClientRouter;
  port!: IOMainPort;
  lines: string[] = [];

  async start(policy: IOClientPolicy = IOClientPolicy.empty(), bundles = ['UCDrivers', 'Guarded']): Promise<void> {
    this.host = new IOServiceHost({ log: (l) => this.lines.push(l), relaunchDelayMs: 20 });
    const dir = mkdtempSync(join(tmpdir(), 'dk-uc-'));
    this.socket = new IOHostSocket(this.host, join(dir, 'host.sock'));
    this.router = new IOUserClientRouter(this.host, this.socket, policy);
    await this.socket.listen();
    for (const b of bundles) this.host.addDriverBundle(join(drivers, b));
    await this.host.whenIdle();
    this.port = IOMainPortCreate(this.socket.path);
  }

  async stop(): Promise<void> {
    this.port.close();
    await this.socket.close();
    await this.host.stop();
  }

  async service(name: string): Promise<IOServiceRef> {
    const matching = IOServiceMatching('IOUserService');
    matching.setObject('IOPropertyMatch', toOSDictionary({ IOMatchCategory: name }));
    const s = await IOServiceGetMatchingService(this.port, matching);
    if (!s) throw new Error(`no ${name} service`);
    return s;
  }
}

describe('user clients: calls, checks, async, memory', () => {
  const bench = new Bench();
  beforeAll(() => bench.start());
  afterAll(() => bench.stop());

  test('finding services, reading their properties, opening and calling', async () => {
    const all = await IOServiceGetMatchingServices(bench.port, IOServiceNameMatching('EchoDriver'));
    expect(all.map((s) => s.className)).toEqual(['IOUserService', 'IOUserService']);
    const echo = await bench.service('Echo');
    const props = await IORegistryEntryCreateCFProperties(echo);
    expect(String(props.getObject('CFBundleIdentifier'))).toBe('org.driverkit.test.UCDrivers');
    const c = await IOServiceOpen(echo, 0);
    expect(await IOConnectCallScalarMethod(c, 0, [41, 2n ** 64n - 1n], 2)).toEqual([42n, 0n]);
    expect([...(await IOConnectCallStructMethod(c, 1, Uint8Array.from([1, 2, 3]), 3))]).toEqual([3, 2, 1]);
    await IOServiceClose(c);
    await expect(IOConnectCallScalarMethod(c, 0, [1, 2], 2)).rejects.toMatchObject({ code: kIOReturnNotAttached });
  });

  test("Apple's dispatch checks refuse a call of the wrong shape before the method runs, naming the check", async () => {
    const c = await IOServiceOpen(await bench.service('Echo'), 0);
    await expect(IOConnectCallScalarMethod(c, 0, [1], 2)).rejects.toMatchObject({ code: kIOReturnBadArgument, message: expect.stringMatching(/checkScalarInputCount is 2 but the call has 1/) });
    await expect(IOConnectCallScalarMethod(c, 0, [1, 2], 1)).rejects.toMatchObject({ message: expect.stringMatching(/checkScalarOutputCount is 2 but the call has 1/) });
    await expect(IOConnectCallMethod(c, 0, { scalarInput: [1, 2], scalarOutputCount: 2, structureInput: Uint8Array.of(1) })).rejects.toMatchObject({ message: expect.stringMatching(/checkStructureInputSize is 0 but the call has 1/) });
    await expect(IOConnectCallAsyncMethod(c, 0, IONotificationPortCreate(bench.port), { callback: () => {} }, { scalarInput: [1, 2], scalarOutputCount: 2 })).rejects.toMatchObject({
      message: expect.stringMatching(/not async but the call has a completion/),
    });
    await expect(IOConnectCallScalarMethod(c, 2, [1], 0)).rejects.toMatchObject({ message: expect.stringMatching(/is async and the call has no completion/) });
    await expect(IOConnectCallScalarMethod(c, 5, [], 0)).rejects.toMatchObject({ code: kIOReturnNoCompletion });
    await expect(IOConnectCallScalarMethod(c, 99, [], 0)).rejects.toMatchObject({ code: kIOReturnUnsupported });
    await expect(IOConnectCallScalarMethod(c, 7, [], 0)).rejects.toMatchObject({ message: expect.stringMatching(/driver bug in method 7/) });
    await expect(IOConnectCallScalarMethod(c, 0, Array(17).fill(0), 0)).rejects.toMatchObject({ code: kIOReturnBadArgument, message: expect.stringMatching(/17 values, more than 16/) });
    expect(await IOConnectCallScalarMethod(c, 0, [1, 2], 2)).toEqual([2n, 3n]);
    await IOServiceClose(c);
  });

  test('the host reads every request through its protocol schema: a missing or mistyped field is refused by name', async () => {
    const h = await IOHostConnection.connect(bench.socket.path);
    try {
      await expect(h.request('getProperties', {})).rejects.toMatchObject({ code: kIOReturnBadArgument, message: expect.stringMatching(/getProperties: no service:/) });
      await expect(h.request('close', { connection: 'seven' })).rejects.toMatchObject({ code: kIOReturnBadArgument, message: expect.stringMatching(/close: connection is not a number:/) });
      await expect(h.request('getMatchingServices', { matching: 'all' })).rejects.toMatchObject({ code: kIOReturnBadArgument, message: expect.stringMatching(/getMatchingServices: matching is not a dictionary:/) });
      await expect(h.request('subscribe', { subscription: 1, kind: 'sometimes', matching: IOServiceMatching('IOService') })).rejects.toMatchObject({ code: kIOReturnBadArgument, message: expect.stringMatching(/kind is sometimes, not matched or terminated/) });
      await expect(h.request('reboot', {})).rejects.toMatchObject({ code: kIOReturnUnsupported, message: expect.stringMatching(/unknown request "reboot"/) });
      await expect(h.request('close', { connection: 99999 })).rejects.toMatchObject({ code: kIOReturnNotAttached });
    } finally {
      h.close();
    }
  });

  test('structures larger than a message travel through shared memory both ways', async () => {
    const c = await IOServiceOpen(await bench.service('Echo'), 0);
    const big = Uint8Array.from({ length: 100_000 }, (_, i) => i & 0xff);
    const { structureOutput } = await IOConnectCallMethod(c, 1, { structureInput: big, structureOutputSize: big.length });
    expect(structureOutput.length).toBe(big.length);
    expect(Buffer.from(structureOutput).equals(Buffer.from(Uint8Array.from(big).reverse()))).toBe(true);
    await expect(IOConnectCallMethod(c, 1, { structureInput: big, structureOutputSize: 10 })).rejects.toMatchObject({ code: kIOReturnBadArgument, message: expect.stringMatching(/100000-byte structure; the app's buffer holds 10/) });
    await IOServiceClose(c);
  });

  test('the driver process runs as _driverkit, and memory a call names is opened to it only when it is the caller\'s', async () => {
    const account = IODriverAccount.lookup(kIODriverAccountName)!;
    expect(account).not.toBeNull();
    // A checkout the account cannot read (a private folder above it) keeps drivers as root, saying so.
    const drops = account.canRead(join(drivers, 'UCDrivers'));
    const [uid, gid] = drops ? [account.uid, account.gid] : [0, 0];
    const props = await IORegistryEntryCreateCFProperties(await bench.service('Echo'));
    const pid = Number(props.getObject('DriverPID')!.toString());
    expect(Number(props.getObject('IOUserServerUID')!.toString())).toBe(uid);
    if (!drops) expect(bench.lines.join('\n')).toMatch(/runs as root: _driverkit cannot read /);
    // Real, effective, saved and filesystem uids and gids, as the kernel reports them; no supplementary groups.
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    expect(/^Uid:\s+(.*)$/m.exec(status)![1]!.split(/\s+/).map(Number)).toEqual([uid, uid, uid, uid]);
    expect(/^Gid:\s+(.*)$/m.exec(status)![1]!.split(/\s+/).map(Number)).toEqual([gid, gid, gid, gid]);
    if (drops) expect(/^Groups:[ \t]*(.*)$/m.exec(status)![1]!.trim()).toBe('');

    const host = await IOHostConnection.connect(bench.socket.path);
    const mine = IOSharedMemory.allocate(16, 'process');
    const theirs = IOSharedMemory.allocate(16, 'process');
    try {
      const echo = await bench.service('Echo');
      const opened = await host.request('open', { service: echo.registryEntryID, type: 0 });
      const connection = Number(opened.getObject('connection')!.toString());
      const call = (name: string) => host.request('call', { connection, selector: 1n, structureInputMemory: name, structureInputLength: 16, structureOutputMaximumSize: 16 }, true);
      // Memory this app made: opened to the driver's group (0660), still the app's, and the call runs.
      new Uint8Array(mine.buffer).set(Array.from({ length: 16 }, (_, i) => i));
      const ok = await call(mine.name!);
      expect(Number(ok.getObject('status')!.toString())).toBe(kIOReturnSuccess);
      const st = statSync(`/dev/shm/${mine.name}`);
      expect([st.uid, st.gid, st.mode & 0o777]).toEqual(drops ? [0, account.gid, 0o660] : [0, 0, 0o600]);
      // Memory another user made (here: handed to nobody): refused before the driver sees the call.
      chownSync(`/dev/shm/${theirs.name}`, 65534, 65534);
      const refused = await call(theirs.name!);
      expect(Number(refused.getObject('status')!.toString())).toBe(kIOReturnNotPermitted);
      expect(refused.getObject('message')!.toString()).toMatch(/is not the caller's \(it belongs to uid 65534; the caller is uid 0\)/);
      expect(statSync(`/dev/shm/${theirs.name}`).mode & 0o777).toBe(0o600);
    } finally {
      mine.close();
      theirs.close();
      host.close();
    }
  });

  test('async completions come back through the notification port, each with its data', async () => {
    const c = await IOServiceOpen(await bench.service('Echo'), 0);
    const port = IONotificationPortCreate(bench.port);
    const got: Array<[unknown, number, bigint[]]> = [];
    await IOConnectCallAsyncMethod(c, 2, port, { callback: (refcon, result, args) => got.push([refcon, result, args]), refcon: 'mine' }, { scalarInput: [9] });
    await waitFor(() => got.length === 2, 5000);
    expect(got).toEqual([
      ['mine', kIOReturnSuccess, [9n, 1n]],
      ['mine', kIOReturnSuccess, [9n, 2n]],
    ]);
    port.destroy();
    await IOServiceClose(c);
  });

  test('IOConnectMapMemory64: the app sees the driver\'s bytes; read-only memory keeps the app\'s writes private', async () => {
    const c = await IOServiceOpen(await bench.service('Echo'), 0);
    const map = await IOConnectMapMemory64(c, 0);
    expect(map.length).toBe(4096);
    expect(map.readOnly).toBe(false);
    expect(await IOConnectCallScalarMethod(c, 4, [], 2)).toEqual([1n, 0n]);
    expect(map.bytes[0]).toBe(1);
    map.bytes[8] = 77;
    expect(await IOConnectCallScalarMethod(c, 4, [], 2)).toEqual([2n, 77n]);
    const ro = await IOConnectMapMemory64(c, 1);
    expect(ro.readOnly).toBe(true);
    expect(ro.bytes[0]).toBe(2);
    ro.bytes[8] = 5;
    expect(await IOConnectCallScalarMethod(c, 4, [], 2)).toEqual([3n, 77n]);
    await expect(IOConnectMapMemory64(c, 9)).rejects.toMatchObject({ code: kIOReturnUnsupported });
    map.unmap();
    ro.unmap();
    await IOServiceClose(c);
  });

  test('NewUserClient failing in the driver reaches the app with its message', async () => {
    await expect(IOServiceOpen(await bench.service('Echo'), 7)).rejects.toMatchObject({ message: expect.stringMatching(/type 7 is refused by the driver/) });
  });
});

describe('entitlements (Apple\'s userclient checks, from the host\'s client policy)', () => {
  test('a driver without allow-any-userclient-access admits only clients the policy lists for it, holding what its user client requires', async () => {
    const refuse = new Bench();
    await refuse.start(IOClientPolicy.empty(), ['Guarded']);
    const guarded = await refuse.service('Guarded');
    await expect(IOServiceOpen(guarded, 0)).rejects.toMatchObject({
      code: kIOReturnNotPermitted,
      message: expect.stringMatching(/UC failed userclient-access check, needed bundle ID org\.driverkit\.test\.Guarded: the client \(pid \d+, uid 0, .*\) needs the entitlement com\.apple\.developer\.driverkit\.userclient-access/),
    });
    expect(refuse.lines.join('\n')).toMatch(/user client refused: UC failed userclient-access check/);
    await refuse.stop();

    const partial = new Bench();
    await partial.start(IOClientPolicy.load(policyFile([{ UID: 0, Entitlements: { 'com.apple.developer.driverkit.userclient-access': ['org.driverkit.test.Guarded'] } }])), ['Guarded']);
    await expect(IOServiceOpen(await partial.service('Guarded'), 0)).rejects.toMatchObject({ code: kIOReturnNotPermitted, message: expect.stringMatching(/lacks org\.driverkit\.test\.needed, which the user client of org\.driverkit\.test\.Guarded requires/) });
    await partial.stop();

    const full = new Bench();
    await full.start(IOClientPolicy.load(policyFile([{ UID: 0, Entitlements: { 'com.apple.developer.driverkit.userclient-access': ['org.driverkit.test.Guarded'], 'org.driverkit.test.needed': true } }])), ['Guarded']);
    const c = await IOServiceOpen(await full.service('Guarded'), 0);
    expect(await IOConnectCallScalarMethod(c, 0, [1, 1], 2)).toEqual([2n, 2n]);
    await full.stop();
  });

  test('the policy comes from what the kernel says of the client: another user gets only what is listed for its uid', async () => {
    const bench = new Bench();
    await bench.start(IOClientPolicy.load(policyFile([{ UID: 65534, Entitlements: { 'com.apple.developer.driverkit.userclient-access': ['org.driverkit.test.Guarded'], 'org.driverkit.test.needed': true } }])), ['Guarded']);
    const asNobody = (script: string) =>
      new Promise<string>((resolve) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script, bench.socket.path], { cwd: root, uid: 65534, gid: 65534, stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.on('exit', () => resolve(out.trim()));
      });
    // The socket is 0660 root:root in a 0700 folder here; let the test's other user reach it.
    chmodSync(join(bench.socket.path, '..'), 0o755);
    chmodSync(bench.socket.path, 0o666);
    const script = `
      import { IOMainPortCreate, IOServiceGetMatchingService, IOServiceNameMatching, IOServiceOpen, IOConnectCallScalarMethod } from '@driverkit/driverkit/client';
      const port = IOMainPortCreate(process.argv[1]);
      try {
        const s = await IOServiceGetMatchingService(port, IOServiceNameMatching('EchoDriver'));
        const c = await IOServiceOpen(s, 0);
        console.log('opened', (await IOConnectCallScalarMethod(c, 0, [5, 6], 2)).join(','));
      } catch (e) { console.log('refused', e.message); }
      port.close();
    `;
    expect(await asNobody(script)).toBe('opened 6,7');
    const c = IOServiceOpen(await bench.service('Guarded'), 0);
    await expect(c).rejects.toMatchObject({ code: kIOReturnNotPermitted, message: expect.stringMatching(/uid 0/) });
    await bench.stop();
  });

  test('a policy file others can write, or owned by another user, is not trusted', () => {
    expect(() => IOClientPolicy.load(policyFile([], 0o666))).toThrow(/writable by group or others \(mode 666\): it cannot be trusted/);
    const foreign = policyFile([]);
    chownSync(foreign, 65534, 65534);
    expect(() => IOClientPolicy.load(foreign)).toThrow(/belongs to uid 65534, not root: it cannot be trusted/);
    const bad = policyFile([]);
    writeFileSync(bad, '<plist><dict><key>Clients</key><array><dict><key>Entitlements</key><dict/></dict></array></dict></plist>');
    expect(() => IOClientPolicy.load(bad)).toThrow(/names no UID, GID or Executable/);
    expect(IOClientPolicy.load('/nonexistent/policy.plist').source).toBeNull();
  });
});

describe('a user client\'s own channel: calls go app → driver without the host\'s hop', () => {
  const bench = new Bench();
  beforeAll(async () => {
    await bench.start();
    // From here on a call the host serves fails, saying so: only calls that go straight to the driver succeed.
    bench.socket.handle('call', () => {
      throw new IOReturnError(kIOReturnUnsupported, 'this call went through the host');
    });
  });
  afterAll(() => bench.stop());

  const attachWith = async (connection: number, token: string) => {
    const h = await IOHostConnection.connect(bench.socket.path);
    try {
      return await h.request('attach', { connection, token });
    } finally {
      h.close();
    }
  };
  /** An open straight through the host socket, as IOServiceOpen makes it: the connection and its token. */
  const open = async (h: IOHostConnection) => {
    const r = await h.request('open', { service: (await bench.service('Echo')).registryEntryID, type: 0 });
    return { connection: Number(r.getObject('connection')!.toString()), token: String(r.getObject('direct')) };
  };

  test('scalar, structure and async calls and their completions come from the driver process; calls naming memory still go through the host', async () => {
    const c = await IOServiceOpen(await bench.service('Echo'), 0);
    expect(c.direct).not.toBeNull();
    expect(await IOConnectCallScalarMethod(c, 0, [41, 1], 2)).toEqual([42n, 2n]);
    expect([...(await IOConnectCallStructMethod(c, 1, Uint8Array.from([1, 2, 3]), 3))]).toEqual([3, 2, 1]);
    const port = IONotificationPortCreate(bench.port);
    const got: bigint[][] = [];
    await IOConnectCallAsyncMethod(c, 2, port, { callback: (_r, _s, args) => got.push(args) }, { scalarInput: [7] });
    await waitFor(() => got.length === 2, 5000);
    expect(got).toEqual([[7n, 1n], [7n, 2n]]);
    // Apple's dispatch checks are the driver's, whichever way the call came.
    await expect(IOConnectCallScalarMethod(c, 0, [1], 2)).rejects.toMatchObject({ code: kIOReturnBadArgument, message: expect.stringMatching(/checkScalarInputCount is 2 but the call has 1/) });
    await expect(IOConnectCallMethod(c, 1, { structureInput: new Uint8Array(100_000), structureOutputSize: 100_000 })).rejects.toMatchObject({ message: expect.stringMatching(/^this call went through the host/) });
    // The host still counts them, for `driverkit explore`.
    const counted = () => {
      const counters = bench.host.activity.toDictionary().getObject('counters') as OSArray;
      const mine = [...counters].map((d) => d as OSDictionary).find((d) => String(d.getObject('kind')) === 'user-client calls' && String(d.getObject('name')) === 'EchoDriver');
      return Number(mine?.getObject('count')?.toString() ?? 0);
    };
    await waitFor(() => counted() >= 4, 3000);
    port.destroy();
    await IOServiceClose(c);
    await waitFor(() => c.direct!.isClosed());
    await expect(IOConnectCallScalarMethod(c, 0, [1, 2], 2)).rejects.toMatchObject({ code: kIOReturnNotAttached });
  });

  test('the host admits a channel only with its connection\'s one-time token, from the process that opened it, on a connection of its own', async () => {
    const h = await IOHostConnection.connect(bench.socket.path);
    try {
      const { connection, token } = await open(h);
      expect(token).toMatch(/^[0-9a-f]{32}$/);
      await expect(attachWith(connection, 'f'.repeat(32))).rejects.toMatchObject({ code: kIOReturnNotPermitted, message: expect.stringMatching(/no open connection with that token/) });
      await expect(attachWith(connection + 1000, token)).rejects.toMatchObject({ code: kIOReturnNotPermitted });
      // Another process, with the right token: refused by the pid the kernel reports.
      const script = `
        import { IOHostConnection } from '@driverkit/driverkit';
        const h = await IOHostConnection.connect(process.argv[1]);
        try { await h.request('attach', { connection: Number(process.argv[2]), token: process.argv[3] }); console.log('attached'); }
        catch (e) { console.log(e.message); }
        h.close();
      `;
      const child = spawn(process.execPath, ['--input-type=module', '-e', script, bench.socket.path, String(connection), token], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      await new Promise((r) => child.once('exit', r));
      expect(out).toMatch(new RegExp(`only the process that opened the connection \\(pid ${process.pid}\\) may attach to it`));
      // A connection holding a user client cannot leave the host (its close would go unseen).
      await expect(h.request('attach', { connection, token })).rejects.toMatchObject({ code: kIOReturnBadArgument, message: expect.stringMatching(/a connection of its own/) });
      // The right one works once.
      expect(await attachWith(connection, token)).toBeInstanceOf(OSDictionary);
      await expect(attachWith(connection, token)).rejects.toMatchObject({ code: kIOReturnNotPermitted, message: expect.stringMatching(/already attached/) });
    } finally {
      h.close();
    }
  });

  test('hostile frames on the channel are refused by name; a frame that does not decode closes that channel only', async () => {
    const pid = Number((await IORegistryEntryCreateCFProperties(await bench.service('Echo'))).getObject('DriverPID')!.toString());
    const h = await IOHostConnection.connect(bench.socket.path);
    const d = await IOHostConnection.connect(bench.socket.path);
    try {
      const { connection, token } = await open(h);
      await d.request('attach', { connection, token });
      await expect(d.request('open', {})).rejects.toMatchObject({ code: kIOReturnUnsupported, message: expect.stringMatching(/unknown request "open"/) });
      // Calls are frames: a dictionary call is refused, as the old spelling would be.
      await expect(d.request('call', { selector: 1n })).rejects.toMatchObject({ code: kIOReturnUnsupported, message: expect.stringMatching(/takes call frames only/) });
      const call = (selector: bigint, scalarInput: bigint[], more: Partial<IOUserClientCall> = {}): IOUserClientCall => ({ selector, scalarInput, structureInput: null, structureInputMemory: null, structureInputLength: 0, scalarOutputCount: 0, structureOutputMaximumSize: 0, structureOutputMemory: null, asyncReference: null, ...more });
      const ask = async (encode: (rid: number) => Uint8Array) => IOUserClientCallFrame.decodeReply(await d.requestFrame(encode));
      /** A well-made call frame with one header field overwritten (offset, u32 value). */
      const forged = (c: IOUserClientCall, offset: number, value: number) => (rid: number) => {
        const b = Buffer.from(IOUserClientCallFrame.encodeCall(rid, c, null));
        b.writeUInt32LE(value, offset);
        return b;
      };
      expect(await ask(forged(call(0n, [1n, 2n]), 28, 17))).toMatchObject({ status: kIOReturnBadArgument, message: expect.stringMatching(/scalarInput has 17 values, more than 16/) });
      expect(await ask(forged(call(0n, [1n, 2n]), 28, 3))).toMatchObject({ status: kIOReturnBadArgument, message: expect.stringMatching(/the counts make 72 bytes, the frame has 64/) });
      expect(await ask(forged(call(1n, []), 36, 1 << 20))).toMatchObject({ status: kIOReturnBadArgument, message: expect.stringMatching(/travels in memory, through the host/) });
      expect(await ask(forged(call(2n, [1n], { asyncReference: [0n] }), 12, 0))).toMatchObject({ status: kIOReturnBadArgument, message: expect.stringMatching(/async reference words on a call that is not async/) });
      expect(await ask(forged(call(0n, []), 12, 6))).toMatchObject({ status: kIOReturnBadArgument, message: expect.stringMatching(/unknown flags 0x6/) });
      // The same call, well made, is answered.
      expect((await ask((rid) => IOUserClientCallFrame.encodeCall(rid, call(0n, [1n, 2n], { scalarOutputCount: 2 }), null))).scalarOutput).toEqual([2n, 3n]);
      const frame = (m: Record<string, unknown>) => {
        const body = OSSerializeBinary(toOSDictionary(m as never));
        const head = Buffer.alloc(4);
        head.writeUInt32LE(body.length);
        return Buffer.concat([head, body]);
      };
      const framed = (body: Uint8Array) => {
        const head = Buffer.alloc(4);
        head.writeUInt32LE(body.length);
        return Buffer.concat([head, body]);
      };
      const callFrame = (rid: number, c: IOUserClientCall) => framed(IOUserClientCallFrame.encodeCall(rid, c, null));
      /** A channel attached by hand, for frames no app library would send. */
      const attachRaw = async () => {
        const { connection: id, token: t } = await open(h);
        const raw = connect(bench.socket.path);
        await new Promise((r) => raw.once('connect', r));
        raw.write(frame({ op: 'attach', rid: 1, connection: id, token: t }));
        await new Promise((r) => raw.once('data', r));
        return raw;
      };
      // A flood in one write: past 256 outstanding (the user client runs them one at a time), calls are refused.
      const flooded = await attachRaw();
      const replies = new IOMessageChannel(flooded);
      const statuses: number[] = [];
      const all = new Promise<void>((r) => {
        replies.onFrame = (b) => statuses.push(IOUserClientCallFrame.decodeReply(b).status >>> 0) === 300 && r();
      });
      flooded.write(Buffer.concat(Array.from({ length: 300 }, (_, i) => callFrame(i + 2, call(3n, [10n], { scalarOutputCount: 1 })))));
      await all;
      expect(statuses.filter((x) => x === kIOReturnNoResources)).toHaveLength(44);
      expect(statuses.filter((x) => x === kIOReturnSuccess)).toHaveLength(256);
      replies.close();
      // Bytes that are not a frame, on a channel of its own: that channel closes, nothing else does.
      const raw = await attachRaw();
      const closed = new Promise((r) => raw.once('close', r));
      raw.write(Buffer.from([3, 0, 0, 0, 0xff, 0xff, 0xff]));
      await closed;
      // Nor does a frame too short for a call's header.
      const short = await attachRaw();
      const shortClosed = new Promise((r) => short.once('close', r));
      short.write(framed(IOUserClientCallFrame.encodeCall(2, call(0n, []), null).subarray(0, 36)));
      await shortClosed;
      expect(alive(pid)).toBe(true);
      expect(Number((await h.request('call', { connection, selector: 0n, scalarInput: OSArray.withObjects([OSNumber.withNumber(1, 64), OSNumber.withNumber(2, 64)]), scalarOutputCount: 2 }, true)).getObject('status')!.toString())).toBe(kIOReturnUnsupported);
    } finally {
      d.close();
      h.close();
    }
  });

  test('a driver that dies fails the calls pending on the channel with kIOReturnNotAttached', async () => {
    const echo = await bench.service('Echo');
    const pid = Number((await IORegistryEntryCreateCFProperties(echo)).getObject('DriverPID')!.toString());
    const c = await IOServiceOpen(echo, 0);
    const pending = IOConnectCallScalarMethod(c, 3, [60_000], 1);
    await new Promise((r) => setTimeout(r, 50));
    process.kill(pid, 'SIGKILL');
    await expect(pending).rejects.toMatchObject({ code: kIOReturnNotAttached });
    expect(c.direct!.isClosed()).toBe(true);
    // The host relaunches the driver for the tests after this one.
    await waitFor(async () => {
      const now = await bench.service('Echo').then(IORegistryEntryCreateCFProperties).catch(() => null);
      return Number(now?.getObject('DriverPID')?.toString() ?? pid) !== pid;
    }, 10_000);
  });
});

describe('clients and drivers that go away', () => {
  const bench = new Bench();
  beforeAll(() => bench.start());
  afterAll(() => bench.stop());

  test('a client that dies has its user clients stopped and freed', async () => {
    const script = `
      import { IOMainPortCreate, IOServiceGetMatchingService, IOServiceNameMatching, IOServiceOpen } from '@driverkit/driverkit/client';
      const port = IOMainPortCreate(process.argv[1]);
      const s = await IOServiceGetMatchingService(port, IOServiceNameMatching('EchoDriver'));
      await IOServiceOpen(s, 0);
      await IOServiceOpen(s, 0);
      console.log('open');
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, bench.socket.path], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((r) => child.stdout.once('data', r));
    expect(bench.router.connectionCount()).toBe(2);
    child.kill('SIGKILL');
    await waitFor(() => bench.router.connectionCount() === 0);
    await waitFor(() => bench.lines.filter((l) => l.endsWith('EchoUserClient free')).length === 2);
    expect(bench.lines.filter((l) => l.endsWith('EchoUserClient Stop'))).toHaveLength(2);
  });

  test('a client that dies has the completions its driver kept aborted (OSAction.Aborted), and completing one is kIOReturnNotAttached', async () => {
    const script = `
      import { IOConnectCallAsyncMethod, IOMainPortCreate, IONotificationPortCreate, IOServiceGetMatchingService, IOServiceNameMatching, IOServiceOpen } from '@driverkit/driverkit/client';
      const port = IOMainPortCreate(process.argv[1]);
      const s = await IOServiceGetMatchingService(port, IOServiceNameMatching('EchoDriver'));
      const c = await IOServiceOpen(s, 0);
      const n = IONotificationPortCreate(port);
      for (let i = 0; i < 3; i++) await IOConnectCallAsyncMethod(c, 8, n, { callback: () => {} });
      console.log('waiting');
      setInterval(() => {}, 1000);
    `;
    const before = bench.lines.filter((l) => l.includes('completion aborted')).length;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, bench.socket.path], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((r) => child.stdout.once('data', r));
    expect(bench.lines.filter((l) => l.includes('completion aborted')).length).toBe(before);
    child.kill('SIGKILL');
    await waitFor(() => bench.lines.filter((l) => l.includes('completion aborted')).length === before + 3);
    expect(bench.lines.filter((l) => l.includes('completion aborted')).slice(-3)).toEqual(Array(3).fill(expect.stringMatching(/completion aborted; AsyncCompletion then: AsyncCompletion: the app that made the call is gone: kIOReturnNotAttached \(0xe00002d9\)$/)));
  });

  test('a driver that dies fails pending calls with kIOReturnNotAttached and sends terminated notifications', async () => {
    const echo = await bench.service('Echo');
    const pid = Number((await IORegistryEntryCreateCFProperties(echo)).getObject('DriverPID')!.toString());
    const port = IONotificationPortCreate(bench.port);
    const terminated: string[] = [];
    const matched: string[] = [];
    await IOServiceAddMatchingNotification(port, kIOTerminatedNotification, IOServiceNameMatching('EchoDriver'), (_r, services) => terminated.push(...services.map((s) => s.name)));
    await IOServiceAddMatchingNotification(port, kIOFirstMatchNotification, IOServiceNameMatching('EchoDriver'), (_r, services) => matched.push(...services.map((s) => `${s.registryEntryID}`)));
    await waitFor(() => matched.length === 2);
    const c = await IOServiceOpen(echo, 0);
    const pending = IOConnectCallScalarMethod(c, 3, [60_000], 1);
    await new Promise((r) => setTimeout(r, 50));
    process.kill(pid, 'SIGKILL');
    await expect(pending).rejects.toMatchObject({ code: kIOReturnNotAttached });
    await waitFor(() => terminated.length === 1);
    expect(terminated).toEqual(['EchoDriver']);
    await expect(IOConnectCallScalarMethod(c, 0, [1, 2], 2)).rejects.toMatchObject({ code: kIOReturnNotAttached });
    // The host relaunches the driver; the app hears of it as a new match.
    await waitFor(() => matched.length === 3);
    expect(alive(pid)).toBe(false);
    port.destroy();
  });

  test('hostile frames and floods never take down the host or the driver', async () => {
    const echo = await bench.service('Echo');
    const pid = Number((await IORegistryEntryCreateCFProperties(echo)).getObject('DriverPID')!.toString());
    const c = await IOServiceOpen(echo, 0);
    const send = (bytes: Buffer) =>
      new Promise<void>((resolve) => {
        const s = connect(bench.socket.path, () => {
          s.end(bytes);
        });
        s.on('error', () => resolve());
        s.on('close', () => resolve());
        setTimeout(() => {
          s.destroy();
          resolve();
        }, 50);
      });
    const frame = (body: Uint8Array, length = body.length) => {
      const h = Buffer.alloc(4);
      h.writeUInt32LE(length);
      return Buffer.concat([h, body]);
    };
    const values = fc.oneof(fc.string(), fc.integer(), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.boolean(), fc.uint8Array({ maxLength: 64 }), fc.array(fc.integer(), { maxLength: 20 }));
    const message = fc.record({
      op: fc.constantFrom('call', 'open', 'close', 'map', 'subscribe', 'getProperties', 'getMatchingServices', 'nonsense'),
      rid: fc.integer({ min: 0, max: 100 }),
      connection: fc.oneof(fc.constant(c.id), fc.integer()),
      selector: fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.string()),
      scalarInput: fc.oneof(fc.array(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), { maxLength: 40 }), values),
      structureInput: values,
      structureInputMemory: fc.oneof(fc.string(), fc.constant('driverkit.1.abc'), fc.constant('../../etc/passwd')),
      structureInputLength: fc.oneof(fc.integer(), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })),
      scalarOutputCount: fc.oneof(fc.integer(), values),
      structureOutputMaximumSize: fc.oneof(fc.integer({ min: 0, max: 2 ** 31 }), values),
      service: values,
      matching: values,
    });
    await fc.assert(
      fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 8 }), fc.uint8Array({ maxLength: 40 }), fc.nat(6), async (messages, garbage, damage) => {
        const frames = messages.map((m) => frame(OSSerializeBinary(toOSDictionary(m as never))));
        if (damage === 1) frames.push(frame(garbage));
        if (damage === 2) frames.push(frame(Buffer.alloc(0), 0xffff_fff0));
        if (damage === 3) frames.push(frame(OSSerializeBinary(toOSDictionary(messages[0] as never))).subarray(0, 7));
        if (damage === 4) frames.push(frame(OSSerializeBinary([1, 2, 3] as never)));
        await send(Buffer.concat(frames));
      }),
      { numRuns: 60 },
    );
    // A flood: thousands of requests at once on one connection.
    const flood = Buffer.concat(Array.from({ length: 3000 }, (_, i) => frame(OSSerializeBinary(toOSDictionary({ op: 'getProperties', rid: i, service: 1 })))));
    await send(flood);
    // Still answering, and the same driver process is still there.
    expect(await IOConnectCallScalarMethod(c, 0, [1, 2], 2)).toEqual([2n, 3n]);
    expect(alive(pid)).toBe(true);
    expect(Number((await IORegistryEntryCreateCFProperties(echo)).getObject('DriverPID')!.toString())).toBe(pid);
    await IOServiceClose(c);
  }, 60_000);
});
