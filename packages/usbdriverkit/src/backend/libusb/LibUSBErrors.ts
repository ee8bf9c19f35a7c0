import { IOReturnError, kIOReturnExclusiveAccess, kIOReturnIOError, kIOReturnNoDevice, kIOReturnNotPrivileged, kIOReturnOverrun, kIOReturnTimeout } from '@driverkit/driverkit';
import { kUSBHostReturnPipeStalled } from '../../descriptors/USBConstants';

/** The kIOReturn code for an error the `usb` package threw (its messages carry libusb's/the kernel's wording). */
export function usbErrorCode(e: unknown): number {
  const m = e instanceof Error ? `${e.name} ${e.message}` : String(e);
  if (/stall|pipe error/i.test(m)) return kUSBHostReturnPipeStalled;
  if (/timed? ?out/i.test(m)) return kIOReturnTimeout;
  if (/no (such )?device|disconnected|not found|ENODEV/i.test(m)) return kIOReturnNoDevice;
  if (/access|permission|EACCES|EPERM/i.test(m)) return kIOReturnNotPrivileged;
  if (/busy|EBUSY/i.test(m)) return kIOReturnExclusiveAccess;
  if (/overflow|babble/i.test(m)) return kIOReturnOverrun;
  return kIOReturnIOError;
}

/** Wraps a `usb` error as an IOReturnError, with the udev hint when it is a permission problem. */
export function usbError(what: string, e: unknown): IOReturnError {
  const code = usbErrorCode(e);
  const detail = e instanceof Error ? e.message : String(e);
  const hint =
    code === kIOReturnNotPrivileged
      ? ' — this user may not open the device node under /dev/bus/usb; run as root or add a udev rule such as SUBSYSTEM=="usb", ATTR{idVendor}=="xxxx", MODE="0660", GROUP="plugdev"'
      : code === kIOReturnExclusiveAccess
        ? ' — a kernel driver or another program holds it; open the interface with kUSBHostInterfaceOpenDetachKernelDriver to unbind the kernel driver'
        : '';
  return new IOReturnError(code, `${what}: ${detail}${hint}`, { cause: e });
}
