// Inside the guest: a USB gadget made with configfs on dummy_hcd's UDC, so the guest's own USB host
// stack sees a real device. Functions are the kernel's (ACM serial, HID, SourceSink/Loopback).
import { mkdirSync, readdirSync, rmdirSync, symlinkSync, unlinkSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModules, mountConfigfs } from './modules';

export interface UsbGadgetFunction {
  /** The configfs function directory name, e.g. `acm.usb0`, `Loopback.0`, `hid.usb0`. */
  name: string;
  /** Attribute files written before binding (e.g. `{ bulk_buflen: '512' }`). */
  attributes?: Record<string, string | Buffer>;
}

export interface UsbGadgetOptions {
  name: string;
  idVendor: number;
  idProduct: number;
  manufacturer?: string;
  product?: string;
  serialnumber?: string;
  functions: UsbGadgetFunction[];
  /** Bind to the UDC at once (default). FunctionFS gadgets bind after their descriptors are written. */
  bind?: boolean;
}

const ROOT = '/sys/kernel/config/usb_gadget';

/** A gadget that exists from {@link create} to {@link remove}; bound to dummy_hcd's UDC while it exists. */
export class UsbGadget {
  private constructor(readonly dir: string, readonly options: UsbGadgetOptions) {}

  static create(options: UsbGadgetOptions): UsbGadget {
    // The gadget side (dummy_hcd's UDC, the function drivers) and the host side's class drivers.
    loadModules('dummy_hcd', 'libcomposite', 'usb_f_acm', 'usb_f_ss_lb', 'usb_f_hid', 'usb_f_fs', 'cdc_acm', 'usbhid', 'hid_generic');
    mountConfigfs();
    const dir = join(ROOT, options.name);
    if (existsSync(dir)) new UsbGadget(dir, options).remove();
    mkdirSync(dir);
    const hex = (n: number) => `0x${n.toString(16).padStart(4, '0')}`;
    writeFileSync(join(dir, 'idVendor'), hex(options.idVendor));
    writeFileSync(join(dir, 'idProduct'), hex(options.idProduct));
    mkdirSync(join(dir, 'strings/0x409'), { recursive: true });
    writeFileSync(join(dir, 'strings/0x409/manufacturer'), options.manufacturer ?? 'DriverKit for TypeScript');
    writeFileSync(join(dir, 'strings/0x409/product'), options.product ?? options.name);
    writeFileSync(join(dir, 'strings/0x409/serialnumber'), options.serialnumber ?? 'DK0001');
    mkdirSync(join(dir, 'configs/c.1/strings/0x409'), { recursive: true });
    writeFileSync(join(dir, 'configs/c.1/strings/0x409/configuration'), 'c1');
    for (const f of options.functions) {
      const fdir = join(dir, 'functions', f.name);
      mkdirSync(fdir);
      for (const [k, v] of Object.entries(f.attributes ?? {})) writeFileSync(join(fdir, k), v);
      symlinkSync(fdir, join(dir, 'configs/c.1', f.name));
    }
    const gadget = new UsbGadget(dir, options);
    if (options.bind !== false) gadget.bind();
    return gadget;
  }

  /** Binds the gadget to dummy_hcd's UDC: the guest's USB host sees the device arrive. */
  bind(): void {
    const udc = readdirSync('/sys/class/udc')[0];
    if (!udc) throw new Error('no UDC: dummy_hcd did not load');
    writeFileSync(join(this.dir, 'UDC'), udc);
  }

  /** Unbinds the gadget: the device leaves the guest's USB host. */
  unbind(): void {
    try {
      if (readFileSync(join(this.dir, 'UDC'), 'utf8').trim()) writeFileSync(join(this.dir, 'UDC'), '\n');
    } catch {
      // Not bound.
    }
  }

  /** Unbinds and removes the gadget (in the order configfs requires). */
  remove(): void {
    if (!existsSync(this.dir)) return;
    this.unbind();
    const config = join(this.dir, 'configs/c.1');
    if (existsSync(config)) {
      for (const e of readdirSync(config)) if (e.includes('.')) unlinkSync(join(config, e));
      rmdirSync(join(config, 'strings/0x409'));
      rmdirSync(config);
    }
    const functions = join(this.dir, 'functions');
    if (existsSync(functions)) for (const f of readdirSync(functions)) rmdirSync(join(functions, f));
    if (existsSync(join(this.dir, 'strings/0x409'))) rmdirSync(join(this.dir, 'strings/0x409'));
    rmdirSync(this.dir);
  }
}
