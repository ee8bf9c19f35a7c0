import { IOReturnError, OSArray, OSData, OSDictionary, OSNumber, OSString, fromOSObject, kIOReturnBadArgument, kIOReturnUnsupported, toOSDictionary, type IOProviderLink, type IORemoteCaller, type OSObject, type OSValue } from '@driverkit/driverkit';
import type { USBIsochResult, USBSetupPacket, USBTransferResult } from '../backend/USBBackend';
import type { USBAccess, USBDeviceSnapshot, USBScope } from './USBAccess';

// The two halves of one protocol: USBRemoteAccess (a driver process) encodes each USBAccess call as a
// providerCall to the nub; serveUSBCall (the host) checks and decodes it, and runs it on the session.

const field = (args: OSDictionary, key: string): OSObject | null => args.getObject(key);

function number(args: OSDictionary, key: string): number {
  const v = field(args, key);
  if (!(v instanceof OSNumber)) throw new IOReturnError(kIOReturnBadArgument, `USB call: "${key}" is missing or not a number`);
  const n = Number(v.unsigned64BitValue());
  if (!Number.isSafeInteger(n)) throw new IOReturnError(kIOReturnBadArgument, `USB call: "${key}" is out of range`);
  return n;
}

function bytes(args: OSDictionary, key: string): Uint8Array | null {
  const v = field(args, key);
  if (v === null) return null;
  if (!(v instanceof OSData)) throw new IOReturnError(kIOReturnBadArgument, `USB call: "${key}" is not data`);
  return v.getBytesNoCopy();
}

function text(args: OSDictionary, key: string): string {
  const v = field(args, key);
  if (!(v instanceof OSString)) throw new IOReturnError(kIOReturnBadArgument, `USB call: "${key}" is missing or not a string`);
  return v.getCStringNoCopy();
}

function scope(args: OSDictionary): USBScope {
  const v = field(args, 'scope');
  return v instanceof OSString && v.getCStringNoCopy() === 'device' ? 'device' : number(args, 'scope');
}

function endpointOrNull(args: OSDictionary): number | null {
  return field(args, 'endpoint') === null ? null : number(args, 'endpoint');
}

function setup(args: OSDictionary): USBSetupPacket {
  const s = { bmRequestType: number(args, 'bmRequestType'), bRequest: number(args, 'bRequest'), wValue: number(args, 'wValue'), wIndex: number(args, 'wIndex'), wLength: number(args, 'wLength') };
  if (s.bmRequestType > 0xff || s.bRequest > 0xff || s.wValue > 0xffff || s.wIndex > 0xffff || s.wLength > 0xffff) throw new IOReturnError(kIOReturnBadArgument, 'USB call: a setup field is out of range');
  return s;
}

function lengths(args: OSDictionary): number[] {
  const v = field(args, 'frameLengths');
  if (!(v instanceof OSArray) || v.getCount() > 4096) throw new IOReturnError(kIOReturnBadArgument, 'USB call: frameLengths must be an array of at most 4096 numbers');
  return [...v].map((n) => {
    if (!(n instanceof OSNumber)) throw new IOReturnError(kIOReturnBadArgument, 'USB call: a frame length is not a number');
    return Number(n.unsigned32BitValue());
  });
}

const MAX_TRANSFER = 16 << 20;

function transferResult(r: USBTransferResult): OSDictionary {
  return toOSDictionary({ status: OSNumber.withNumber(r.status, 32), length: r.length, ...(r.data ? { data: r.data } : {}) });
}

/**
 * Runs one USB call from a driver process on the host's session, as the caller's client
 * (`caller.key/client`). Arguments are checked before use: a driver process is another program.
 */
export async function serveUSBCall(access: USBAccess, method: string, args: OSDictionary, caller: IORemoteCaller): Promise<OSDictionary | null> {
  const client = () => `${caller.key}/${text(args, 'client')}`;
  switch (method) {
    case 'snapshot': {
      const s = await access.snapshot();
      return toOSDictionary({ ...s, bos: s.bos ?? new Uint8Array(0), alternates: Object.entries(s.alternates).map(([n, a]) => [Number(n), a]) } as unknown as Record<string, OSValue>);
    }
    case 'getDescriptor': {
      const length = number(args, 'length');
      if (length > 0xffff) throw new IOReturnError(kIOReturnBadArgument, 'USB call: a descriptor is at most 65535 bytes');
      const d = await access.getDescriptor(number(args, 'type'), number(args, 'index'), number(args, 'languageID'), length, number(args, 'recipient'), number(args, 'wIndex'));
      return toOSDictionary({ data: d });
    }
    case 'open':
      await access.open(client(), scope(args), number(args, 'options'));
      return null;
    case 'close':
      await access.close(client(), scope(args));
      return null;
    case 'setConfiguration':
      await access.setConfiguration(client(), number(args, 'value'), field(args, 'matchInterfaces') !== null);
      return null;
    case 'control':
      return transferResult(await access.control(client(), scope(args), setup(args), bytes(args, 'data'), number(args, 'timeout')));
    case 'io': {
      const length = number(args, 'length');
      if (length > MAX_TRANSFER) throw new IOReturnError(kIOReturnBadArgument, `USB call: a transfer of ${length} bytes is over the ${MAX_TRANSFER}-byte limit`);
      return transferResult(await access.io(client(), number(args, 'endpoint'), bytes(args, 'data'), length, number(args, 'timeout')));
    }
    case 'isoch': {
      const r = await access.isoch(client(), number(args, 'endpoint'), bytes(args, 'data'), lengths(args), number(args, 'timeout'));
      return toOSDictionary({ status: OSNumber.withNumber(r.status, 32), frames: r.frames.map((f) => [OSNumber.withNumber(f.status, 32), f.length]), ...(r.data ? { data: r.data } : {}) });
    }
    case 'abort':
      await access.abort(client(), scope(args), endpointOrNull(args), number(args, 'status'));
      return null;
    case 'clearHalt':
      await access.clearHalt(client(), number(args, 'endpoint'), field(args, 'withRequest') !== null);
      return null;
    case 'selectAlternateSetting':
      await access.selectAlternateSetting(client(), number(args, 'interface'), number(args, 'alternateSetting'));
      return null;
    case 'reset':
      await access.reset(client());
      return null;
    case 'frameNumber': {
      const f = await access.frameNumber();
      return toOSDictionary({ frame: f.frame, time: f.time });
    }
    default:
      throw new IOReturnError(kIOReturnUnsupported, `USB nubs take no call "${method}"`);
  }
}

/** A driver process's {@link USBAccess}: every call is a providerCall to the nub in the host. */
export class USBRemoteAccess implements USBAccess {
  constructor(readonly link: IOProviderLink) {}

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
    return { status: number(r, 'status'), length: number(r, 'length'), data: data instanceof OSData ? data.getBytesNoCopy() : null };
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

  async getDescriptor(type: number, index: number, languageID: number, length: number, recipient: number, wIndex: number): Promise<Uint8Array> {
    const r = await this.#call('getDescriptor', { type, index, languageID, length, recipient, wIndex });
    return bytes(r, 'data') ?? new Uint8Array(0);
  }

  async open(client: string, s: USBScope, options: number): Promise<void> {
    await this.#call('open', { client, scope: s, options });
  }

  async close(client: string, s: USBScope): Promise<void> {
    await this.#call('close', { client, scope: s });
  }

  async setConfiguration(client: string, value: number, matchInterfaces: boolean): Promise<void> {
    await this.#call('setConfiguration', { client, value, matchInterfaces: matchInterfaces || null });
  }

  async control(client: string, s: USBScope, p: USBSetupPacket, dataOut: Uint8Array | null, timeoutMs: number): Promise<USBTransferResult> {
    return this.#transfer(await this.#call('control', { client, scope: s, ...p, data: dataOut, timeout: timeoutMs }));
  }

  async io(client: string, endpoint: number, dataOut: Uint8Array | null, length: number, timeoutMs: number): Promise<USBTransferResult> {
    return this.#transfer(await this.#call('io', { client, endpoint, data: dataOut, length, timeout: timeoutMs }));
  }

  async isoch(client: string, endpoint: number, dataOut: Uint8Array | null, frameLengths: number[], timeoutMs: number): Promise<USBIsochResult> {
    const r = await this.#call('isoch', { client, endpoint, data: dataOut, frameLengths, timeout: timeoutMs });
    const plain = fromOSObject(r) as { status: number; frames: Array<[number, number]>; data?: Uint8Array };
    return { status: plain.status, frames: plain.frames.map(([status, length]) => ({ status, length })), data: plain.data ?? null };
  }

  async abort(client: string, s: USBScope, endpoint: number | null, status: number): Promise<void> {
    await this.#call('abort', { client, scope: s, endpoint, status });
  }

  async clearHalt(client: string, endpoint: number, withRequest: boolean): Promise<void> {
    await this.#call('clearHalt', { client, endpoint, withRequest: withRequest || null });
  }

  async selectAlternateSetting(client: string, interfaceNumber: number, alternateSetting: number): Promise<void> {
    await this.#call('selectAlternateSetting', { client, interface: interfaceNumber, alternateSetting });
  }

  async reset(client: string): Promise<void> {
    await this.#call('reset', { client });
  }

  async frameNumber(): Promise<{ frame: bigint; time: bigint }> {
    const r = await this.#call('frameNumber', {});
    return { frame: (r.getObject('frame') as OSNumber).unsigned64BitValue(), time: (r.getObject('time') as OSNumber).unsigned64BitValue() };
  }
}
