import { IORemoteArguments, IOReturnError, OSArray, OSBoolean, OSData, OSDictionary, OSNumber, OSString, fromOSObject, kIOReturnBadArgument, kIOReturnNoResources, kIOReturnNotPermitted, kIOReturnUnsupported, toOSDictionary, type IOProviderLink, type IORemoteCaller, type OSValue } from '@driverkit/driverkit';
import type { USBDeviceLocator, USBIsochResult, USBPortState, USBSetupPacket, USBTransferResult } from '../backend/USBBackend';
import type { USBAccess, USBDeviceSnapshot, USBScope } from './USBAccess';
import { USBDeviceSession } from './USBDeviceSession';
import { USBLocalDevice } from './USBLocalDevice';
import { USBTransferChannel } from './USBTransferChannel';
import { kUSBTransferChannelMaxBytes } from './USBTransferRecords';
import { USBTransferServer } from './USBTransferServer';

// The two halves of one protocol: USBRemoteAccess (a driver process) encodes each USBAccess call as a
// providerCall to the nub; serveUSBCall (the host) checks and decodes it, and runs it on the session.

function scope(a: IORemoteArguments): USBScope {
  const v = a.get('scope');
  return v instanceof OSString && v.getCStringNoCopy() === 'device' ? 'device' : a.number('scope');
}

function endpointOrNull(a: IORemoteArguments): number | null {
  return a.get('endpoint') === null ? null : a.number('endpoint');
}

function setup(a: IORemoteArguments): USBSetupPacket {
  return { bmRequestType: a.number('bmRequestType', 0xff), bRequest: a.number('bRequest', 0xff), wValue: a.number('wValue', 0xffff), wIndex: a.number('wIndex', 0xffff), wLength: a.number('wLength', 0xffff) };
}

function lengths(a: IORemoteArguments): number[] {
  const v = a.get('frameLengths');
  if (!(v instanceof OSArray) || v.getCount() > 4096) throw new IOReturnError(kIOReturnBadArgument, 'USB call: frameLengths must be an array of at most 4096 numbers');
  return [...v].map((n) => {
    if (!(n instanceof OSNumber)) throw new IOReturnError(kIOReturnBadArgument, 'USB call: a frame length is not a number');
    return Number(n.unsigned32BitValue());
  });
}

const MAX_TRANSFER = 16 << 20;
// An Abort waits this long for the aborted transfers' completions before it answers anyway.
const SETTLE_MS = 2000;
// Each channel the host serves keeps a threadpool thread waiting for its requests: one driver process
// gets this many (one per client that does bulk or interrupt I/O: a composite device's interfaces).
const MAX_CHANNELS_PER_PROCESS = 8;

/** Each session's transfer channels, by client. */
const channelServers = new WeakMap<USBAccess, Map<string, USBTransferServer>>();

function serversOf(access: USBAccess): Map<string, USBTransferServer> {
  let m = channelServers.get(access);
  if (!m) channelServers.set(access, (m = new Map()));
  return m;
}

/** Starts what `client`'s channel holds, before a call that must act on it (see USBTransferServer.serveQueued). */
function serveQueued(access: USBAccess, client: string): void {
  channelServers.get(access)?.get(client)?.serveQueued();
}

/** Waits for `client`'s channel to have written the completions of what just ended (an Abort, a Close). */
async function settle(access: USBAccess, client: string, which: number | 'control' | null): Promise<void> {
  const server = channelServers.get(access)?.get(client);
  if (!server) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([server.whenSettled(which), new Promise<void>((r) => (timer = setTimeout(r, SETTLE_MS)))]);
  clearTimeout(timer);
}

function locatorDictionary(l: USBDeviceLocator): OSDictionary {
  return toOSDictionary({ backend: l.backend, id: l.id, ...(l.node ? { node: l.node } : {}), ...(l.module ? { module: l.module } : {}), ...(l.export ? { export: l.export } : {}), options: l.options ?? {} });
}

/** The locator in an open's reply, or null when the host opened the scope itself. */
function replyLocator(r: OSDictionary): USBDeviceLocator | null {
  if (r.getObject('backend') === null) return null;
  const a = new IORemoteArguments(r, 'USB open reply');
  const text = (k: string) => (r.getObject(k) === null ? undefined : a.string(k));
  const options = r.getObject('options');
  const plain = options instanceof OSDictionary ? (fromOSObject(options) as Record<string, unknown>) : {};
  return { backend: a.string('backend'), id: a.string('id'), node: text('node'), module: text('module'), export: text('export'), options: Object.fromEntries(Object.entries(plain).filter((e): e is [string, string] => typeof e[1] === 'string')) };
}

function transferResult(r: USBTransferResult): OSDictionary {
  return toOSDictionary({ status: OSNumber.withNumber(r.status, 32), length: r.length, ...(r.data ? { data: r.data } : {}) });
}

/**
 * Runs one USB call from a driver process on the host's session, as the caller's client
 * (`caller.key/client`). Arguments are checked before use: a driver process is another program.
 */
export async function serveUSBCall(access: USBAccess, method: string, args: OSDictionary, caller: IORemoteCaller): Promise<OSDictionary | null> {
  const a = new IORemoteArguments(args, 'USB call');
  const client = () => `${caller.key}/${a.string('client')}`;
  switch (method) {
    case 'snapshot': {
      const s = await access.snapshot();
      return toOSDictionary({ ...s, bos: s.bos ?? new Uint8Array(0), alternates: Object.entries(s.alternates).map(([n, a]) => [Number(n), a]) } as unknown as Record<string, OSValue>);
    }
    case 'getDescriptor': {
      const length = a.number('length');
      if (length > 0xffff) throw new IOReturnError(kIOReturnBadArgument, 'USB call: a descriptor is at most 65535 bytes');
      const d = await access.getDescriptor(a.number('type', 0xff), a.number('index', 0xff), a.number('wIndex', 0xffff), length, a.number('requestType', 0x60), a.number('recipient', 0x1f));
      return toOSDictionary({ data: d });
    }
    case 'open':
      // A driver process that can open the device itself gets it granted, with where to find it.
      if (a.get('local') !== null && access instanceof USBDeviceSession && access.locator) return locatorDictionary(access.grant(client(), scope(a)));
      await access.open(client(), scope(a), a.number('options'));
      return null;
    case 'recordGranted': {
      if (!(access instanceof USBDeviceSession)) throw new IOReturnError(kIOReturnUnsupported, 'USB call: this device is not granted to driver processes');
      const n = a.get('interface') === null ? null : a.number('interface', 0xff);
      access.recordGranted(client(), n, n === null ? 0 : a.number('alternateSetting', 0xff));
      return null;
    }
    case 'close': {
      const key = client();
      serveQueued(access, key);
      await access.close(key, scope(a));
      await settle(access, key, null);
      const servers = serversOf(access);
      servers.get(key)?.close();
      servers.delete(key);
      return null;
    }
    case 'openTransferChannel': {
      const key = client();
      const servers = serversOf(access);
      servers.get(key)?.close();
      servers.delete(key);
      const mine = [...servers.keys()].filter((k) => k.startsWith(`${caller.key}/`)).length;
      if (mine >= MAX_CHANNELS_PER_PROCESS) throw new IOReturnError(kIOReturnNoResources, `USB call: ${caller.key} already has ${mine} transfer channels on this device (at most ${MAX_CHANNELS_PER_PROCESS})`);
      const server = USBTransferServer.open(access, key, a.string('requests'), a.string('completions'), caller);
      servers.set(key, server);
      caller.onGone(() => {
        server.close();
        if (servers.get(key) === server) servers.delete(key);
      });
      return null;
    }
    case 'setConfiguration':
      await access.setConfiguration(client(), a.number('value'), a.get('matchInterfaces') !== null);
      return null;
    case 'control':
      return transferResult(await access.control(client(), scope(a), setup(a), a.data('data'), a.number('timeout')));
    case 'io': {
      const length = a.number('length');
      if (length > MAX_TRANSFER) throw new IOReturnError(kIOReturnBadArgument, `USB call: a transfer of ${length} bytes is over the ${MAX_TRANSFER}-byte limit`);
      return transferResult(await access.io(client(), a.number('endpoint'), a.data('data'), length, a.number('timeout')));
    }
    case 'isoch': {
      const r = await access.isoch(client(), a.number('endpoint'), a.data('data'), lengths(a), a.number('timeout'));
      return toOSDictionary({ status: OSNumber.withNumber(r.status, 32), frames: r.frames.map((f) => [OSNumber.withNumber(f.status, 32), f.length]), ...(r.data ? { data: r.data } : {}) });
    }
    case 'abort':
      serveQueued(access, client());
      await access.abort(client(), scope(a), endpointOrNull(a), a.number('status'));
      await settle(access, client(), endpointOrNull(a) ?? 'control');
      return null;
    case 'clearHalt':
      await access.clearHalt(client(), a.number('endpoint'), a.get('withRequest') !== null);
      return null;
    case 'selectAlternateSetting':
      serveQueued(access, client());
      await access.selectAlternateSetting(client(), a.number('interface'), a.number('alternateSetting'));
      await settle(access, client(), null);
      return null;
    case 'reset':
      await access.reset(client());
      return null;
    case 'frameNumber': {
      const f = await access.frameNumber();
      return toOSDictionary({ frame: f.frame, time: f.time });
    }
    case 'portState':
      return toOSDictionary({ ...(await access.portState()) });
    default:
      throw new IOReturnError(kIOReturnUnsupported, `USB nubs take no call "${method}"`);
  }
}

/**
 * A driver process's {@link USBAccess}. A device the process can reach itself (libusb) is opened
 * here: the host grants the Open and says where the device is, and transfers, aborts, alternate
 * settings and resets run on this process's own handle ({@link USBLocalDevice}). A device only the
 * host reaches (its virtual bus) is served by the nub in the host: providerCalls, and bulk, interrupt
 * and control transfers through a {@link USBTransferChannel} per client once the host has taken one
 * (a link with no process behind it, as in a test, keeps the call path).
 */
export class USBRemoteAccess implements USBAccess {
  /** The device as this process holds it, once the host granted an Open here. */
  #local: USBLocalDevice | null = null;
  readonly #channels = new Map<string, USBTransferChannel | null>();
  readonly #opening = new Map<string, Promise<USBTransferChannel | null>>();

  #unhook: (() => void) | null = null;

  constructor(readonly link: IOProviderLink) {}

  /** `client`'s channel, opened on its first transfer; null where the host took none (the call path). */
  #channelFor(client: string): USBTransferChannel | null | Promise<USBTransferChannel | null> {
    return this.#channels.has(client) ? this.#channels.get(client)! : this.#channel(client);
  }

  async #channel(client: string): Promise<USBTransferChannel | null> {
    let opening = this.#opening.get(client);
    if (!opening) {
      opening = this.#openChannel(client);
      this.#opening.set(client, opening);
    }
    try {
      const channel = await opening;
      this.#channels.set(client, channel);
      // A transfer the host ended just before a message (the device went, then its terminate) completes first.
      if (channel) this.#unhook ??= this.link.beforeHostMessage?.(() => this.#channels.forEach((c) => c?.drain())) ?? null;
      return channel;
    } finally {
      this.#opening.delete(client);
    }
  }

  /**
   * Transfers submitted just before an Abort, a Close or a SelectAlternateSetting may still be waiting
   * for their client's channel to open: they are queued first, so that the call acts on them as Apple's
   * does on everything submitted before it.
   */
  async #afterOpening(client: string): Promise<void> {
    const opening = this.#opening.get(client);
    if (!opening) return;
    await opening.catch(() => null);
    // The transfers waiting on the opening queue their records in the microtasks that follow it; a
    // macrotask turn comes after all of them.
    await new Promise((r) => setImmediate(r));
  }

  async #openChannel(client: string): Promise<USBTransferChannel | null> {
    const channel = new USBTransferChannel();
    try {
      await this.#call('openTransferChannel', { client, ...channel.names });
      return channel;
    } catch (e) {
      channel.close();
      if (e instanceof IOReturnError && (e.code === kIOReturnNotPermitted || e.code === kIOReturnUnsupported)) return null;
      throw e;
    }
  }

  async #call(method: string, args: Record<string, OSValue | null | undefined>): Promise<OSDictionary> {
    const clean = Object.fromEntries(Object.entries(args).filter(([, v]) => v !== null && v !== undefined)) as Record<string, OSValue>;
    const d = toOSDictionary(clean);
    try {
      return await this.link.call(method, d);
    } finally {
      d.release();
    }
  }

  #transfer(r: OSDictionary): USBTransferResult {
    const data = r.getObject('data');
    const reply = new IORemoteArguments(r, 'USB reply');
    return { status: reply.number('status'), length: reply.number('length'), data: data instanceof OSData ? data.getBytesNoCopy() : null };
  }

  async snapshot(): Promise<USBDeviceSnapshot> {
    const r = fromOSObject(await this.#call('snapshot', {})) as Record<string, unknown>;
    const bos = r.bos as Uint8Array;
    return {
      deviceDescriptor: r.deviceDescriptor as Uint8Array,
      configurations: r.configurations as Uint8Array[],
      bos: bos.length ? bos : null,
      activeConfiguration: r.activeConfiguration as number,
      alternates: Object.fromEntries(r.alternates as Array<[number, number]>),
      speed: r.speed as number,
      address: r.address as number,
      locationID: r.locationID as number,
    };
  }

  async getDescriptor(type: number, index: number, wIndex: number, length: number, requestType: number, recipient: number): Promise<Uint8Array> {
    const r = await this.#call('getDescriptor', { type, index, wIndex, length, requestType, recipient });
    return new IORemoteArguments(r, 'USB reply').data('data') ?? new Uint8Array(0);
  }

  async open(client: string, s: USBScope, options: number): Promise<void> {
    const locator = replyLocator(await this.#call('open', { client, scope: s, options, local: true }));
    if (!locator) return;
    if (this.#local?.locator.id !== locator.id || this.#local.locator.backend !== locator.backend) this.#local = new USBLocalDevice(locator);
    try {
      await this.#local.open(client, s, options, () => this.snapshot());
    } catch (e) {
      await this.#call('close', { client, scope: s }).catch(() => {});
      throw e;
    }
  }

  async close(client: string, s: USBScope): Promise<void> {
    if (this.#local) {
      try {
        await this.#local.close(client, s);
      } finally {
        await this.#call('close', { client, scope: s });
      }
      return;
    }
    await this.#afterOpening(client);
    this.#channels.get(client)?.abortWaiting('all');
    await this.#call('close', { client, scope: s });
    this.#channels.get(client)?.close();
    this.#channels.delete(client);
    if (![...this.#channels.values()].some(Boolean)) {
      this.#unhook?.();
      this.#unhook = null;
    }
  }

  async setConfiguration(client: string, value: number, matchInterfaces: boolean): Promise<void> {
    // The host sets it (no interface is claimed anywhere, or it refuses) and republishes the interfaces.
    await this.#call('setConfiguration', { client, value, matchInterfaces: matchInterfaces || null });
    this.#local?.adoptConfiguration(value);
  }

  async control(client: string, s: USBScope, p: USBSetupPacket, dataOut: Uint8Array | null, timeoutMs: number): Promise<USBTransferResult> {
    if (this.#local) return this.#local.session.control(client, s, p, dataOut, timeoutMs);
    if (p.wLength <= kUSBTransferChannelMaxBytes && (dataOut?.length ?? 0) <= kUSBTransferChannelMaxBytes) {
      const channel = await this.#channelFor(client);
      if (channel) return channel.control(s, p, dataOut, timeoutMs);
    }
    return this.#transfer(await this.#call('control', { client, scope: s, ...p, data: dataOut, timeout: timeoutMs }));
  }

  io(client: string, endpoint: number, dataOut: Uint8Array | null, length: number, timeoutMs: number): Promise<USBTransferResult> {
    // A located device's transfer is this process's session's promise, with no async layer of its own.
    return this.#local ? this.#local.session.io(client, endpoint, dataOut, length, timeoutMs) : this.#remoteIO(client, endpoint, dataOut, length, timeoutMs);
  }

  async #remoteIO(client: string, endpoint: number, dataOut: Uint8Array | null, length: number, timeoutMs: number): Promise<USBTransferResult> {
    if (length <= kUSBTransferChannelMaxBytes && (dataOut?.length ?? 0) <= kUSBTransferChannelMaxBytes) {
      const channel = await this.#channelFor(client);
      if (channel) return channel.io(endpoint, dataOut, length, timeoutMs);
    }
    return this.#transfer(await this.#call('io', { client, endpoint, data: dataOut, length, timeout: timeoutMs }));
  }

  async isoch(client: string, endpoint: number, dataOut: Uint8Array | null, frameLengths: number[], timeoutMs: number): Promise<USBIsochResult> {
    if (this.#local) return this.#local.session.isoch(client, endpoint, dataOut, frameLengths, timeoutMs);
    const r = await this.#call('isoch', { client, endpoint, data: dataOut, frameLengths, timeout: timeoutMs });
    const plain = fromOSObject(r) as { status: number; frames: Array<[number, number]>; data?: Uint8Array };
    return { status: plain.status, frames: plain.frames.map(([status, length]) => ({ status, length })), data: plain.data ?? null };
  }

  async abort(client: string, s: USBScope, endpoint: number | null, status: number): Promise<void> {
    if (this.#local) return this.#local.session.abort(client, s, endpoint, status);
    await this.#afterOpening(client);
    this.#channels.get(client)?.abortWaiting(endpoint, status);
    await this.#call('abort', { client, scope: s, endpoint, status });
    this.#channels.get(client)?.drain();
  }

  async clearHalt(client: string, endpoint: number, withRequest: boolean): Promise<void> {
    if (this.#local) return this.#local.session.clearHalt(client, endpoint, withRequest);
    await this.#call('clearHalt', { client, endpoint, withRequest: withRequest || null });
  }

  async selectAlternateSetting(client: string, interfaceNumber: number, alternateSetting: number): Promise<void> {
    if (this.#local) {
      await this.#local.session.selectAlternateSetting(client, interfaceNumber, alternateSetting);
      await this.#call('recordGranted', { client, interface: interfaceNumber, alternateSetting });
      return;
    }
    await this.#afterOpening(client);
    this.#channels.get(client)?.abortWaiting('pipes');
    await this.#call('selectAlternateSetting', { client, interface: interfaceNumber, alternateSetting });
    this.#channels.get(client)?.drain();
  }

  async reset(client: string): Promise<void> {
    if (this.#local) {
      await this.#local.session.reset(client);
      await this.#call('recordGranted', { client });
      return;
    }
    await this.#call('reset', { client });
  }

  /** The device nub's properties, asked of an interface nub (CopyDevice in a driver process). */
  deviceProperties(): Promise<OSDictionary> {
    return this.#call('deviceProperties', {});
  }

  async portState(): Promise<USBPortState> {
    const r = await this.#call('portState', {});
    const flag = (k: string) => (r.getObject(k) as OSBoolean | null)?.isTrue?.() === true;
    return { type: Number((r.getObject('type') as OSNumber | null)?.unsigned32BitValue() ?? 0), suspended: flag('suspended'), overcurrent: flag('overcurrent'), resetting: flag('resetting') };
  }

  async frameNumber(): Promise<{ frame: bigint; time: bigint }> {
    const r = await this.#call('frameNumber', {});
    return { frame: (r.getObject('frame') as OSNumber).unsigned64BitValue(), time: (r.getObject('time') as OSNumber).unsigned64BitValue() };
  }
}
