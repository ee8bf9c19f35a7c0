import { IODriverAccount, kIOUserServerRootReasonKey, type IOService, type IOServiceHost } from '@driverkit/driverkit';
import { USBDeviceSession } from '../access/USBDeviceSession';
import type { USBBackend, USBDeviceInfo } from '../backend/USBBackend';
import { IOUSBGetNextInterfaceDescriptor, parseDeviceDescriptor } from '../descriptors/USBDescriptors';
import { IOUSBHostDevice } from '../IOUSBHostDevice';
import { IOUSBHostInterface } from '../IOUSBHostInterface';
import { usbDeviceProperties, usbInterfaceProperties } from './USBNubProperties';

const kTransportUSB = [['com.apple.developer.driverkit.transport.usb']];

interface Published {
  session: USBDeviceSession;
  device: IOUSBHostDevice;
  interfaces: IOUSBHostInterface[];
}

/**
 * The host side of the USB family: keeps one IOUSBHostDevice nub per device its backends see, with
 * an IOUSBHostInterface nub per interface of the active configuration beneath it, as the USB
 * stack publishes them. Unplug terminates the nubs after ending every pending transfer.
 */
export class USBHostController {
  readonly #published = new Map<string, Published>();
  readonly #passes = new Map<string, Promise<void>>();
  readonly #unwatch: Array<() => void> = [];

  constructor(
    readonly host: IOServiceHost,
    readonly backends: USBBackend[],
  ) {}

  async start(): Promise<void> {
    for (const b of this.backends) {
      await this.sync(b);
      this.#unwatch.push(b.watch(() => void this.sync(b).catch((e) => this.host.options.log(`USB: listing ${b.name} devices failed: ${(e as Error).message}`))));
    }
  }

  /** Brings the nubs of `backend` in line with its device list (one pass at a time per backend). */
  sync(backend: USBBackend): Promise<void> {
    const next = (this.#passes.get(backend.name) ?? Promise.resolve()).then(() => this.#syncPass(backend));
    this.#passes.set(backend.name, next.catch(() => {}));
    return next;
  }

  /** The device nub for a backend device id, if published. */
  deviceNub(backend: USBBackend, id: string): IOUSBHostDevice | undefined {
    return this.#published.get(`${backend.name}:${id}`)?.device;
  }

  async #syncPass(backend: USBBackend): Promise<void> {
    const present = await backend.list();
    const keys = new Set(present.map((d) => `${backend.name}:${d.id}`));
    for (const [key, p] of this.#published) {
      if (key.startsWith(`${backend.name}:`) && !keys.has(key)) {
        this.#published.delete(key);
        await this.#unpublish(p);
      }
    }
    for (const info of present) {
      const key = `${backend.name}:${info.id}`;
      if (this.#published.has(key)) continue;
      try {
        this.#published.set(key, this.#publish(backend, info));
      } catch (e) {
        this.host.options.log(`USB: ${backend.name} device ${info.id} is not published: ${(e as Error).message}`);
      }
    }
  }

  #publish(backend: USBBackend, info: USBDeviceInfo): Published {
    const session = new USBDeviceSession(backend, info);
    const d = parseDeviceDescriptor(info.deviceDescriptor);
    const device = new IOUSBHostDevice();
    device.setName(info.product ?? 'IOUSBHostDevice');
    device.setLocation((info.locationID >>> 0).toString(16));
    device.setNubProperties({ ...usbDeviceProperties(d, info), IOServiceDEXTEntitlements: kTransportUSB, USBBackend: backend.name, ...this.#rootReason(session) });
    device.attachSession(session);
    const published: Published = { session, device, interfaces: [] };
    session.onConfigurationChanged = (_value, matchInterfaces) => void this.#republishInterfaces(published, matchInterfaces);
    this.host.publishNub(device);
    device.release();
    this.#publishInterfaces(published, true);
    return published;
  }

  /** A driver process opens a located device's node itself: unless the node lets the drivers' account in, it keeps root. */
  #rootReason(session: USBDeviceSession): Record<string, string> {
    const node = session.locator?.node;
    const why = node ? IODriverAccount.nodeRootReason(node) : null;
    return why ? { [kIOUserServerRootReasonKey]: why } : {};
  }

  #publishInterfaces(p: Published, register: boolean): void {
    const cfg = p.session.activeConfigurationDescriptor();
    if (!cfg) return;
    const d = parseDeviceDescriptor(p.session.info.deviceDescriptor);
    for (let i = IOUSBGetNextInterfaceDescriptor(cfg, null); i; i = IOUSBGetNextInterfaceDescriptor(cfg, i)) {
      if (i.bAlternateSetting !== 0) continue;
      const nub = new IOUSBHostInterface();
      nub.setName('IOUSBHostInterface');
      nub.setLocation(i.bInterfaceNumber.toString(16));
      nub.setNubProperties({ ...usbInterfaceProperties(d, i, cfg.bConfigurationValue, p.session.info), IOServiceDEXTEntitlements: kTransportUSB, ...this.#rootReason(p.session) });
      nub.attachSession(p.session);
      p.interfaces.push(nub);
      if (register) this.host.publishNub(nub, p.device);
      else nub.attachToParent(p.device);
      nub.release();
    }
  }

  async #republishInterfaces(p: Published, matchInterfaces: boolean): Promise<void> {
    const old = p.interfaces.splice(0);
    await Promise.all(old.map((n) => n.Terminate()));
    this.#publishInterfaces(p, matchInterfaces);
  }

  async #unpublish(p: Published): Promise<void> {
    // Transfers end with kIOReturnNoDevice before the drivers are told to stop.
    await p.session.terminate();
    await Promise.all(p.interfaces.map((n) => n.Terminate()));
    await p.device.Terminate();
  }

  async stop(): Promise<void> {
    for (const u of this.#unwatch.splice(0)) u();
    const all = [...this.#published.values()];
    this.#published.clear();
    await Promise.all(all.map((p) => this.#unpublish(p)));
  }

  /** The published nubs, for tests and tools. */
  nubs(): IOService[] {
    return [...this.#published.values()].flatMap((p) => [p.device, ...p.interfaces]);
  }
}
