import { pathToFileURL } from 'node:url';
import { IOReturnError, OSString, kIOReturnBadArgument, kIOReturnNotFound, type OSDictionary } from '@driverkit/driverkit';
import type { PCIDeviceHandle, PCIDeviceOpener, PCIFunctionAddress } from '../PCIBackend';
import { VirtualPCIDevice } from './VirtualPCIDevice';
import { VirtualPCIDeviceHandle } from './VirtualPCIDeviceHandle';
import { EduDevice } from './models/EduDevice';
import { PEX8733DMAChannel } from './models/PEX8733DMAChannel';
import { PEX8733VirtualBridge } from './models/PEX8733VirtualBridge';

type ModelClass = new (options: Record<string, unknown>) => VirtualPCIDevice;

/** Which model to run: one of the built-in ones by name, or a class a module exports. */
export interface VirtualPCIModelSpec {
  /** `edu`, `pex8733-dma`, `pex8733-bridge`, or (with `module`) the export to take. */
  model: string;
  /** An absolute path of an ES module exporting the model class as `model`. */
  module?: string;
  /** The model's constructor options (plain values: they travel as JSON). */
  options?: Record<string, string | number | boolean>;
}

const builtIn: Record<string, ModelClass> = {
  edu: EduDevice as ModelClass,
  'pex8733-dma': PEX8733DMAChannel as ModelClass,
  'pex8733-bridge': PEX8733VirtualBridge as ModelClass,
};

/** Instantiates the model a spec names, in this process. */
export async function createVirtualPCIModel(spec: VirtualPCIModelSpec): Promise<VirtualPCIDevice> {
  let Class: unknown;
  if (spec.module) {
    const mod = (await import(pathToFileURL(spec.module).href)) as Record<string, unknown>;
    Class = mod[spec.model];
    if (typeof Class !== 'function') throw new IOReturnError(kIOReturnNotFound, `${spec.module} exports no model class ${spec.model}`);
  } else {
    Class = builtIn[spec.model];
    if (!Class) throw new IOReturnError(kIOReturnNotFound, `no built-in virtual PCI model "${spec.model}" (have ${Object.keys(builtIn).join(', ')})`);
  }
  const model = new (Class as ModelClass)(spec.options ?? {});
  if (!(model instanceof VirtualPCIDevice)) throw new IOReturnError(kIOReturnBadArgument, `${spec.model} does not extend VirtualPCIDevice`);
  return model;
}

/** The locator a virtual function's nub carries, from its spec. */
export function virtualPCILocator(spec: VirtualPCIModelSpec): Record<string, string> {
  return { model: spec.model, ...(spec.module ? { module: spec.module } : {}), options: JSON.stringify(spec.options ?? {}) };
}

/**
 * Opens virtual functions in the driver's process: each open runs a fresh instance of the model the
 * nub names (state starts at power-on, as after a reset), so MMIO is a call into the model and its
 * DMA reaches the driver's prepared buffers through the function's virtual IOMMU.
 */
export class VirtualPCIBackend implements PCIDeviceOpener {
  readonly name = 'virtual';

  async open(locator: OSDictionary, address: PCIFunctionAddress): Promise<PCIDeviceHandle> {
    const str = (key: string) => {
      const v = locator.getObject(key);
      return v instanceof OSString ? v.getCStringNoCopy() : undefined;
    };
    const model = str('model');
    if (!model) throw new IOReturnError(kIOReturnNotFound, 'the virtual PCI locator names no model');
    let options: Record<string, string | number | boolean>;
    try {
      options = JSON.parse(str('options') ?? '{}') as typeof options;
    } catch (e) {
      throw new IOReturnError(kIOReturnBadArgument, `the virtual PCI locator's options are not JSON: ${(e as Error).message}`);
    }
    const module = str('module');
    const instance = await createVirtualPCIModel({ model, ...(module ? { module } : {}), options });
    return new VirtualPCIDeviceHandle(instance, `${model} at ${address.bus.toString(16)}:${address.device.toString(16)}.${address.function}`);
  }
}
