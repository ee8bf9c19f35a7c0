import { IOHostSlot, IOReturnError, kIOReturnBusy, type IOServiceHost } from '@driverkit/driverkit';
import type { PCIEnumerator, PCIFunctionInfo } from '../PCIBackend';
import { createVirtualPCIModel, virtualPCILocator, type VirtualPCIModelSpec } from './VirtualPCIBackend';

/** Where a virtual function sits; by default bus 0x80, the next free device number, function 0. */
export interface VirtualPCISlot {
  bus?: number;
  device?: number;
  function?: number;
}

const slot = new IOHostSlot<VirtualPCIBus>('@driverkit/pcidriverkit.VirtualPCIBus', 'virtual PCI bus', 'PCI');

/**
 * The host side of the virtual backend: the bus a virtual bench plugs models into. Attaching runs
 * the model once here, for the config space and BAR sizes its nub is published with; each driver
 * that opens the function runs its own instance in its own process (see VirtualPCIBackend).
 */
export class VirtualPCIBus implements PCIEnumerator {
  readonly name = 'virtual';
  readonly #functions = new Map<string, PCIFunctionInfo>();
  readonly #listeners = new Set<() => void>();
  #nextDevice = 0;

  /** The virtual bus of `host`'s PCI family: where a virtual bench plugs its functions in. */
  static of(host: IOServiceHost): VirtualPCIBus {
    return slot.get(host);
  }

  /** @internal The PCI plugin makes `bus` the virtual bus of `host` (null: removes it). */
  static bind(host: IOServiceHost, bus: VirtualPCIBus | null): void {
    slot.set(host, bus);
  }

  /** Plugs in a function running `spec`; resolves with what unplugs it. */
  async attach(spec: VirtualPCIModelSpec, slot: VirtualPCISlot = {}): Promise<() => void> {
    const model = await createVirtualPCIModel(spec);
    const bus = slot.bus ?? 0x80;
    const device = slot.device ?? this.#nextDevice++;
    const fn = slot.function ?? 0;
    const id = `${bus.toString(16)}:${device.toString(16)}.${fn}`;
    if (this.#functions.has(id)) {
      model.stop();
      throw new IOReturnError(kIOReturnBusy, `virtual PCI slot ${id} is taken`);
    }
    try {
      this.#functions.set(id, {
        id,
        domain: 0,
        bus,
        device,
        function: fn,
        config: Uint8Array.from(model.config),
        barSizes: model.bars.map((b) => (b ? BigInt(b.size) : undefined)),
        locator: virtualPCILocator(spec),
      });
    } finally {
      model.stop();
    }
    this.#changed();
    return () => {
      if (this.#functions.delete(id)) this.#changed();
    };
  }

  list(): PCIFunctionInfo[] {
    return [...this.#functions.values()];
  }

  watch(changed: () => void): () => void {
    this.#listeners.add(changed);
    return () => this.#listeners.delete(changed);
  }

  /** Unplugs everything (between tests). */
  reset(): void {
    this.#functions.clear();
    this.#nextDevice = 0;
    this.#changed();
  }

  #changed(): void {
    for (const l of this.#listeners) l();
  }
}
