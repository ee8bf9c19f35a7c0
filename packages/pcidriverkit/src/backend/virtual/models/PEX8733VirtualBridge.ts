import { VirtualPCIDevice } from '../VirtualPCIDevice';

/**
 * The upstream virtual bridge of a PEX 8733 switch (vendor 0x10b5, device 0x8733, a PCI-to-PCI
 * bridge with a PCI Express capability), as the PEX8733 sample's VBridge personality matches it: it
 * only sets and clears bus mastering and memory space in the command register.
 */
export class PEX8733VirtualBridge extends VirtualPCIDevice {
  constructor() {
    super({ vendorID: 0x10b5, deviceID: 0x8733, revisionID: 0xaa, classCode: 0x060400, headerType: 1, interruptPin: 1, msiVectors: 1, powerManagement: true, express: true, expressType: 5 });
  }
}
