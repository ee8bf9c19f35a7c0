// The HID family's host plugin (package.json "driverkit.hostPlugin"): `driverkit run` loads it to add
// HID matching and to publish an IOHIDInterface nub for every HID device the backends find.
import { existsSync } from 'node:fs';
import { IODriverAccount, IOReturnError, OSNumber, kIOReturnNotFound, kIOUserServerRootReasonKey, type IOServiceHost } from '@driverkit/driverkit';
import type { HIDBackend } from './backend/HIDBackend';
import { HIDRawBackend } from './backend/hidraw/HIDRawBackend';
import { VirtualHIDBackend } from './backend/virtual/VirtualHIDBackend';
import { IOUSBHostInterface } from '@driverkit/usbdriverkit';
import { IOHIDInterface } from './IOHIDInterface';
import { HIDMatchingFamily } from './matching/HIDMatchingFamily';
import { IOUSBHostHIDDevice } from './IOUSBHostHIDDevice';

const POLL_MS = 2000;
const kUSBHIDInterfaceClass = 3;

export interface HIDPluginOptions {
  /**
   * The backends to publish devices from, by name, instead of a new virtual backend and hidraw. A
   * {@link VirtualHIDBackend} named `virtual` becomes the host's ({@link VirtualHIDBackend.of}).
   */
  backends?: Map<string, HIDBackend>;
}

/** Adds the HID family to `host`; resolves with what stops it (its nubs terminate, its virtual devices go). */
export async function register(host: IOServiceHost, options: HIDPluginOptions = {}): Promise<() => Promise<void>> {
  host.registerFamily(HIDMatchingFamily);
  const backends = new Map<string, HIDBackend>(options.backends ?? [['virtual', new VirtualHIDBackend()]]);
  if (!options.backends && existsSync('/sys/class/hidraw')) {
    try {
      backends.set('hidraw', await HIDRawBackend.create());
    } catch (e) {
      host.options.log(`HID: hidraw is unavailable (${(e as Error).message})`);
    }
  }
  const virtual = backends.get('virtual');
  const virtualBackend = virtual instanceof VirtualHIDBackend ? virtual : null;
  VirtualHIDBackend.bind(host, virtualBackend);
  const opener = async (name: string, path: string) => {
    const b = backends.get(name);
    if (!b) throw new IOReturnError(kIOReturnNotFound, `no HID backend ${name} in this host`);
    return b.open(path);
  };

  const nubs = new Map<string, IOHIDInterface>();
  // One pass at a time per backend: a pass working from an older listing would undo a newer one.
  const passes = new Map<string, Promise<void>>();
  const sync = (name: string, backend: HIDBackend): Promise<void> => {
    const next = (passes.get(name) ?? Promise.resolve()).then(() => syncPass(name, backend));
    passes.set(name, next.catch(() => {}));
    return next;
  };
  const syncPass = async (name: string, backend: HIDBackend) => {
    const present = await backend.list();
    const keys = new Set(present.map((d) => `${name}:${d.path}`));
    for (const d of present) {
      const key = `${name}:${d.path}`;
      if (nubs.has(key)) continue;
      const nub = new IOHIDInterface();
      nub.setOpener(opener);
      nub.setName(d.product ?? 'IOHIDInterface');
      nub.setLocation((d.locationID >>> 0).toString(16));
      for (const [k, v] of Object.entries(IOHIDInterface.propertiesFor(name, d))) nub.setProperty(k, v as never);
      // The driver process opens a hidraw node itself: unless the node lets the drivers' account in, it keeps root.
      const rootReason = name === 'hidraw' ? IODriverAccount.nodeRootReason(d.path) : null;
      if (rootReason) nub.setProperty(kIOUserServerRootReasonKey, rootReason);
      nubs.set(key, nub);
      host.publishNub(nub);
      nub.release();
    }
    for (const [key, nub] of nubs) {
      if (!key.startsWith(`${name}:`) || keys.has(key)) continue;
      nubs.delete(key);
      await nub.Terminate();
    }
  };
  const syncAll = async () => {
    for (const [name, b] of backends) await sync(name, b).catch((e) => host.options.log(`HID: listing ${name} devices failed: ${(e as Error).message}`));
  };
  await syncAll();
  const unwatch = virtualBackend?.watch(() => void sync('virtual', virtualBackend)) ?? (() => {});
  const unlisten = host.registry.listen({ registered: (e) => e instanceof IOUSBHostInterface && claimUSB(host, e) });
  for (const n of host.nubs()) if (n instanceof IOUSBHostInterface) claimUSB(host, n);
  const timer = backends.has('hidraw') ? setInterval(() => void sync('hidraw', backends.get('hidraw')!), POLL_MS) : null;
  return async () => {
    unwatch();
    unlisten();
    if (timer) clearInterval(timer);
    await Promise.all([...nubs.values()].map((n) => n.Terminate()));
    nubs.clear();
    VirtualHIDBackend.bind(host, null);
    // A backend this plugin made goes with it; one it was given stays its owner's.
    if (!options.backends) virtualBackend?.reset();
  };
}

/**
 * The USB HID class driver takes a class-3 interface only if no driver package matched it once
 * matching settles: as on macOS, where a vendor's driver outscores the generic HID driver.
 */
function claimUSB(host: IOServiceHost, nub: IOUSBHostInterface): void {
  const cls = nub.getProperty('bInterfaceClass');
  if (!(cls instanceof OSNumber) || cls.unsigned8BitValue() !== kUSBHIDInterfaceClass) return;
  setImmediate(() => {
    void (async () => {
      await host.whenIdle();
      if (nub.isInactive() || host.clientsOf(nub).size > 0) return;
      const device = new IOUSBHostHIDDevice(host);
      device.setName('IOUSBHostHIDDevice');
      try {
        await device.startWithProvider(nub, null);
      } catch (e) {
        host.options.log(`HID: ${nub.getName()} is a HID interface but ${(e as Error).message}`);
      } finally {
        device.release();
      }
    })();
  });
}
