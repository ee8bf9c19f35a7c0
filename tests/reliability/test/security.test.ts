/**
 * Security, counted: apps without the entitlement a driver requires, apps of another uid, apps that
 * reach for connections and memory they were not given, and who may reach the host's socket at all.
 * Each refusal must carry the kIOReturn code and name what was missing.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  IOClientPolicy,
  IODriverAccount,
  IOConnectCallScalarMethod,
  IOConnectMapMemory64,
  IOHostSocket,
  IOMainPortCreate,
  IOMessageChannel,
  IOServiceGetMatchingService,
  IOServiceHost,
  IOServiceMatching,
  IOServiceOpen,
  IOUserClientRouter,
  OSDictionary,
  OSNumber,
  kIODriverAccountName,
  kIOReturnNotAttached,
  kIOReturnNotPermitted,
  kIOReturnUnsupported,
  toOSDictionary,
  type IOMainPort,
} from '@driverkit/driverkit';
import { record } from '../results.cjs';

const rounds = Number(process.env.SECURITY_ROUNDS ?? 20);
const root = join(__dirname, '../../..');
const drivers = join(root, 'packages/driverkit/test/fixtures/drivers');
const kNobody = 65534;

let host: IOServiceHost;
let socket: IOHostSocket;
let port: IOMainPort;
const lines: string[] = [];

beforeAll(async () => {
  // Nobody (uid 65534) is let into Guarded with what it needs; root, the test's own uid, is not listed.
  const dir = mkdtempSync(join(tmpdir(), 'dk-sec-'));
  const policy = join(dir, 'client-policy.plist');
  writeFileSync(
    policy,
    `<?xml version="1.0" encoding="UTF-8"?><plist version="1.0"><dict><key>Clients</key><array><dict><key>UID</key><integer>${kNobody}</integer><key>Entitlements</key><dict><key>com.apple.developer.driverkit.userclient-access</key><array><string>org.driverkit.test.Guarded</string></array><key>org.driverkit.test.needed</key><true/></dict></dict></array></dict></plist>`,
  );
  chmodSync(policy, 0o644);
  host = new IOServiceHost({ log: (l) => lines.push(l) });
  socket = new IOHostSocket(host, join(dir, 'host.sock'));
  new IOUserClientRouter(host, socket, IOClientPolicy.load(policy));
  await socket.listen();
  for (const b of ['UCDrivers', 'Guarded']) host.addDriverBundle(join(drivers, b));
  await host.whenIdle();
  port = IOMainPortCreate(socket.path);
});

afterAll(async () => {
  port.close();
  await socket.close();
  await host.stop();
});

async function service(category: string) {
  const matching = IOServiceMatching('IOUserService');
  matching.setObject('IOPropertyMatch', toOSDictionary({ IOMatchCategory: category }));
  const s = await IOServiceGetMatchingService(port, matching);
  if (!s) throw new Error(`no ${category} service`);
  return s;
}

/** Runs a client script as `uid`, resolving with what it printed. */
function runAs(uid: number, script: string, socketPath: string): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, socketPath], { cwd: root, uid, gid: uid, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (out += d));
    child.on('exit', () => resolve(out.trim()));
  });
}

test(`an app without the entitlements a driver requires is refused with kIOReturnNotPermitted naming the key, ${rounds} times`, async () => {
  const guarded = await service('Guarded');
  const messages = new Set<string>();
  let refused = 0;
  for (let i = 0; i < rounds; i++) {
    try {
      await IOServiceOpen(guarded, 0);
    } catch (e) {
      if ((e as { code?: number }).code === kIOReturnNotPermitted) refused++;
      messages.add((e as Error).message.replace(/pid \d+/, 'pid N'));
    }
  }
  const named = [...messages].every((m) => m.includes('com.apple.developer.driverkit.userclient-access'));
  record({ area: 'security', check: 'app without userclient-access opens a guarded driver', count: rounds, of: 'opens', outcome: refused === rounds && named ? 'held' : 'FAILED', figures: `${refused}/${rounds} refused kIOReturnNotPermitted, naming com.apple.developer.driverkit.userclient-access` });
  expect(refused).toBe(rounds);
  expect(named).toBe(true);
});

test('the host socket admits only its owner and group: another user cannot connect; let in, it gets what the policy lists for its uid and no more', async () => {
  const mode = statSync(socket.path).mode & 0o777;
  const probe = `
    import { connect } from 'node:net';
    const s = connect(process.argv[1], () => { console.log('connected'); s.end(); });
    s.on('error', (e) => console.log(e.code));
  `;
  const shut = await runAs(kNobody, probe, socket.path);
  // Let nobody in, as an administrator would by group, to check the policy that then applies.
  chmodSync(join(socket.path, '..'), 0o755);
  chmodSync(socket.path, 0o666);
  const script = `
    import { IOMainPortCreate, IOServiceGetMatchingServices, IOServiceMatching, IOServiceOpen, IOConnectCallScalarMethod } from '@driverkit/driverkit/client';
    const port = IOMainPortCreate(process.argv[1]);
    for (const s of await IOServiceGetMatchingServices(port, IOServiceMatching('IOUserService'))) {
      try {
        const c = await IOServiceOpen(s, 0);
        console.log(s.name, 'opened', (await IOConnectCallScalarMethod(c, 0, [5, 6], 2)).join(','));
      } catch (e) { console.log(s.name, 'refused', e.message); }
    }
    port.close();
  `;
  const let_in = await runAs(kNobody, script, socket.path);
  chmodSync(socket.path, 0o660);
  chmodSync(join(socket.path, '..'), 0o700);
  const figures = `socket mode ${mode.toString(8)} owned by uid ${statSync(socket.path).uid}; uid ${kNobody} connecting: ${shut}; let in: ${let_in.split('\n').map((l) => l.replace(/:.*/, '')).join('; ')} (Echo admits any app; Guarded lists uid ${kNobody})`;
  // Both Echo (any app) and Guarded (listed for this uid, with what its user client requires) open.
  const opened = let_in.split('\n').filter((l) => l === 'EchoDriver opened 6,7').length;
  const held = mode === 0o660 && shut === 'EACCES' && opened === 2;
  record({ area: 'security', check: 'host socket permissions and another uid', count: 2, of: 'clients', outcome: held ? 'held' : 'FAILED', figures });
  expect(mode).toBe(0o660);
  expect(shut).toBe('EACCES');
  expect(let_in.split('\n')).toEqual(['EchoDriver opened 6,7', 'EchoDriver opened 6,7']);
});

test(`an app cannot call or map through another app's connection, or map memory its driver did not offer (${rounds} guessed connection ids)`, async () => {
  const echo = await service('Echo');
  const mine = await IOServiceOpen(echo, 0);
  // Another app: a raw socket speaking the host's frames, naming connections it did not open.
  const stranger = await new Promise<IOMessageChannel>((resolve, reject) => {
    const s = connect(socket.path, () => resolve(new IOMessageChannel(s)));
    s.on('error', reject);
  });
  const replies = new Map<number, OSDictionary>();
  stranger.onMessage = (m) => {
    const rid = m.getObject('rid');
    if (rid instanceof OSNumber) replies.set(Number(rid.unsigned32BitValue()), m);
  };
  const ask = async (rid: number, fields: Record<string, unknown>) => {
    stranger.send(toOSDictionary({ rid, ...fields } as never));
    for (const until = Date.now() + 5000; !replies.has(rid); await new Promise((r) => setTimeout(r, 2))) if (Date.now() > until) throw new Error(`no reply to ${rid}`);
    return Number((replies.get(rid)!.getObject('status') as OSNumber).unsigned32BitValue());
  };
  const ids = [mine.id, ...Array.from({ length: rounds - 1 }, (_, i) => i)];
  const codes = new Map<number, number>();
  let rid = 1;
  for (const id of ids) {
    for (const op of [{ op: 'call', selector: 0, scalarInput: [1, 2], scalarOutputCount: 2, structureOutputMaximumSize: 0 }, { op: 'map', memoryType: 0 }]) {
      const status = await ask(rid++, { ...op, connection: id });
      codes.set(status, (codes.get(status) ?? 0) + 1);
    }
  }
  stranger.close();
  // Memory the driver offers (type 0) maps; a type it does not is refused by its CopyClientMemoryForType.
  await IOConnectMapMemory64(mine, 0);
  const unoffered = await IOConnectMapMemory64(mine, 9).then(() => 0, (e: { code?: number }) => e.code ?? -1);
  // The regions apps map are files only their owner can open (and, for memory an app named in a call, the
  // drivers' group).
  const driverGid = IODriverAccount.lookup(kIODriverAccountName)?.gid;
  const regions = readdirSync('/dev/shm').filter((f) => f.startsWith('driverkit.'));
  const open = regions.filter((f) => {
    const st = statSync(join('/dev/shm', f));
    return (st.mode & 0o007) !== 0 || ((st.mode & 0o070) !== 0 && st.gid !== driverGid);
  });
  const fmt = (c: number) => (c === kIOReturnNotAttached ? 'kIOReturnNotAttached' : `0x${c.toString(16)}`);
  const figures = `${ids.length * 2} calls and maps on others' connections: ${[...codes].map(([c, n]) => `${n}× ${fmt(c)}`).join(', ')}; unoffered memory type: ${unoffered === kIOReturnUnsupported ? 'kIOReturnUnsupported' : fmt(unoffered)}; ${regions.length} shared regions, ${open.length} readable by others or a group not the drivers'`;
  const held = codes.size === 1 && codes.has(kIOReturnNotAttached) && unoffered === kIOReturnUnsupported && open.length === 0;
  record({ area: 'security', check: "calls and maps on another app's connection; memory not offered", count: ids.length * 2 + 1, of: 'attempts', outcome: held ? 'held' : 'FAILED', figures });
  expect([...codes.keys()]).toEqual([kIOReturnNotAttached]);
  expect(unoffered).toBe(kIOReturnUnsupported);
  expect(open).toEqual([]);
  expect(await IOConnectCallScalarMethod(mine, 0, [1, 2], 2)).toEqual([2n, 3n]);
});

test('driver processes run as _driverkit, with no supplementary groups, where their backend allows; the host says why where it does not', async () => {
  const account = IODriverAccount.lookup(kIODriverAccountName);
  expect(account).not.toBeNull();
  // A checkout the account cannot read (a private folder above it) keeps drivers as root, and the host says so.
  const drops = account!.canRead(drivers);
  const ids = (pid: number, key: string) => new RegExp(`^${key}:[ \\t]*(.*)$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]!.trim();
  const pids = host.servers().map((s) => s.pid!);
  const accounts = pids.map((pid) => `${ids(pid, 'Uid')} / ${ids(pid, 'Gid')} / groups [${ids(pid, 'Groups')}]`);
  const [uid, gid] = drops ? [account!.uid, account!.gid] : [0, 0];
  const expected = `${Array(4).fill(uid).join('\t')} / ${Array(4).fill(gid).join('\t')} / groups [${drops ? '' : ids(process.pid, 'Groups')}]`;
  const as = accounts.filter((a) => a === expected).length;
  const said = lines.filter((l) => / runs as root: /.test(l)).length;
  const held = pids.length > 0 && as === pids.length && said === (drops ? 0 : pids.length);
  const figures = drops
    ? `${as}/${pids.length} as ${kIODriverAccountName} (uid ${uid}); the host logged no driver kept as root`
    : `${as}/${pids.length} kept as root because ${kIODriverAccountName} cannot read the checkout; the host said why for ${said}`;
  record({ area: 'security', check: 'driver processes run as _driverkit (no root, no groups)', count: pids.length, of: 'driver processes', outcome: held ? 'held' : 'FAILED', figures });
  expect(pids.length).toBeGreaterThan(0);
  expect(accounts).toEqual(pids.map(() => expected));
  expect(said).toBe(drops ? 0 : pids.length);
});
