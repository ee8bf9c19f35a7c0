import { existsSync } from 'node:fs';
import { IOReturnError, OSString, kIOReturnNotFound, kIOReturnNotPermitted, type OSDictionary } from '@driverkit/driverkit';
import type { PCIDeviceHandle, PCIDeviceOpener, PCIFunctionAddress } from '../PCIBackend';
import { VFIOPCIDeviceHandle } from './VFIOPCIDeviceHandle';

/**
 * Opens functions bound to vfio-pci in the driver's process. The host publishes such a function (the
 * sysfs listing sees its driver is vfio-pci) with the group's device node and the function's name in
 * its locator.
 */
export class VFIOPCIBackend implements PCIDeviceOpener {
  readonly name = 'vfio';

  async open(locator: OSDictionary, address: PCIFunctionAddress): Promise<PCIDeviceHandle> {
    const str = (key: string) => {
      const v = locator.getObject(key);
      if (!(v instanceof OSString)) throw new IOReturnError(kIOReturnNotFound, `the VFIO locator has no ${key}`);
      return v.getCStringNoCopy();
    };
    const group = str('group');
    if (!existsSync(group)) throw new IOReturnError(kIOReturnNotFound, `${group} does not exist: is the function still bound to vfio-pci?`);
    try {
      return new VFIOPCIDeviceHandle(group, str('name'), address);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM') throw new IOReturnError(kIOReturnNotPermitted, `cannot open ${group} (${code}): the driver process needs access to the VFIO group`, { cause: e });
      throw e;
    }
  }
}
