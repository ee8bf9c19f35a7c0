import {
  IOBufferMemoryDescriptor,
  IODMACommand,
  IODispatchQueue,
  IOInterruptDispatchSource,
  IOService,
  IOServiceHost,
  OSAction,
  kIOMemoryDirectionInOut,
  kIOReturnBadArgument,
  kIOReturnExclusiveAccess,
  kIOReturnNoResources,
  kIOReturnNotAligned,
  kIOReturnNotFound,
  kIOReturnNotOpen,
  kIOReturnUnsupported,
  type OSData,
} from '@driverkit/driverkit';
import {
  EDU_DMA_START,
  IOPCIDevice,
  PCIDeviceOpeners,
  PCIHostController,
  PCIMatchingFamily,
  VirtualPCIBus,
  VirtualPCIDevice,
  VirtualPCIDeviceHandle,
  type PCIFunctionInfo,
  kIOInterruptTypeLevel,
  kIOInterruptTypePCIMessaged,
  kIOInterruptTypePCIMessagedX,
  kIOPCICommandBusLead,
  kIOPCICommandMemorySpace,
  kIOPCIConfigurationOffsetCommand,
  kIOPCIConfigurationOffsetVendorID,
  kIOPCIDeviceResetTypeFunctionReset,
  kIOPCIDeviceResetTypeHotReset,
  kIOPCIMSICapability,
  kIOPCIPowerManagementCapability,
  kPCIBARTypeM32,
  kPCIPMCD3Support,
  kPCIPMCSPowerStateD3,
} from '../src/index';
import { waitFor } from './helpers';

// IOPCIDevice against the virtual models, in the host's process (the nub itself is the provider, as
// in `driverkit run --in-process`); test/EduDriver.test.ts covers the path through a driver process.
let host: IOServiceHost;
let bus: VirtualPCIBus;
let controller: PCIHostController;

beforeEach(() => {
  host = new IOServiceHost({ mode: 'in-process' });
  host.registerFamily(PCIMatchingFamily);
  bus = new VirtualPCIBus();
  controller = new PCIHostController(host, [bus]);
  controller.start();
});

afterEach(async () => {
  await controller.stop();
  await host.stop();
});

function nub(name: string): IOPCIDevice {
  const found = [...host.registry.entries()].find((e): e is IOPCIDevice => e instanceof IOPCIDevice && e.getName() === name);
  if (!found) throw new Error(`no ${name}`);
  return found;
}

class Client extends IOService {
  interrupts: Array<[bigint, bigint]> = [];
  InterruptOccurred(_action: OSAction, count: bigint, time: bigint): void {
    this.interrupts.push([count, time]);
  }
}

async function openEdu(options: Record<string, number> = { dmaDelayMs: 1 }) {
  await bus.attach({ model: 'edu', options });
  const pci = nub('pci1234,11e8');
  const client = new Client();
  client.setName('EduTest');
  await pci.Open(client);
  return { pci, client };
}

const bytes = (pci: IOService, key: string) => Buffer.from((pci.getProperty(key) as OSData).getBytesNoCopy()).toString('hex');

test('a virtual edu is published as IOPCIFamily publishes a function', async () => {
  await bus.attach({ model: 'edu' });
  const pci = nub('pci1234,11e8');
  expect(pci.getLocation()).toBe('0');
  expect([bytes(pci, 'vendor-id'), bytes(pci, 'device-id'), bytes(pci, 'revision-id'), bytes(pci, 'class-code'), bytes(pci, 'subsystem-vendor-id'), bytes(pci, 'subsystem-id')]).toEqual(['34120000', 'e8110000', '10000000', '00ff0000', 'f41a0000', '00110000']);
  expect(String(pci.getProperty('IOPCIAddress'))).toBe('0:80:0:0');
  expect(pci.GetBusDeviceFunction()).toEqual({ bus: 0x80, device: 0, function: 0 });
  expect(pci.GetBARInfo(0)).toEqual({ memoryIndex: 0, barSize: 1n << 20n, barType: kPCIBARTypeM32 });
  expect(() => pci.GetBARInfo(1)).toThrow(expect.objectContaining({ code: kIOReturnNotFound }));
  expect(() => pci.GetBARInfo(7)).toThrow(expect.objectContaining({ code: kIOReturnBadArgument }));
});

test('only the client that opened the function touches it; a second opener is refused', async () => {
  const { pci, client } = await openEdu();
  const other = new Client();
  other.setName('Intruder');
  await expect(pci.Open(other)).rejects.toMatchObject({ code: kIOReturnExclusiveAccess, message: expect.stringContaining('is open by EduTest') });
  await pci.Close(client);
  expect(() => pci.ConfigurationRead16(0)).toThrow(expect.objectContaining({ code: kIOReturnNotOpen, message: expect.stringContaining('pci1234,11e8 is not open (call Open first)') }));
  expect(() => pci.MemoryRead32(0, 0)).toThrow(expect.objectContaining({ code: kIOReturnNotOpen }));
  await pci.Open(other);
  expect(pci.ConfigurationRead16(kIOPCIConfigurationOffsetVendorID)).toBe(0x1234);
  await pci.Close(other);
});

test('two clients opening at once: one gets the function, the other kIOReturnExclusiveAccess', async () => {
  await bus.attach({ model: 'edu' });
  const pci = nub('pci1234,11e8');
  const [a, b] = [new Client(), new Client()];
  a.setName('First');
  b.setName('Second');
  const results = await Promise.allSettled([pci.Open(a), pci.Open(b)]);
  expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
  expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: kIOReturnExclusiveAccess, message: expect.stringContaining('is open by First') });
  await pci.Close(a);
});

test('config space: the command register takes bus lead and memory space; capabilities are found; bad offsets are refused', async () => {
  const { pci, client } = await openEdu();
  const command = pci.ConfigurationRead16(kIOPCIConfigurationOffsetCommand);
  pci.ConfigurationWrite16(kIOPCIConfigurationOffsetCommand, command | kIOPCICommandBusLead | kIOPCICommandMemorySpace);
  expect(pci.ConfigurationRead16(kIOPCIConfigurationOffsetCommand) & 0x6).toBe(0x6);
  // Read-only registers stay as they are.
  pci.ConfigurationWrite32(0, 0xdeadbeef);
  expect(pci.ConfigurationRead32(0)).toBe(0x11e81234);
  expect(pci.FindPCICapability(kIOPCIMSICapability)).toBe(0x40);
  expect(() => pci.FindPCICapability(kIOPCIPowerManagementCapability)).toThrow(expect.objectContaining({ code: kIOReturnNotFound, message: 'pci1234,11e8 has no capability 0x1: kIOReturnNotFound (0xe00002f0)' }));
  expect(() => pci.FindPCICapability(-0xb)).toThrow(/has no extended capability 0xb/);
  expect(() => pci.ConfigurationRead32(256)).toThrow(expect.objectContaining({ code: kIOReturnBadArgument, message: expect.stringContaining('offset 0x100 (4 bytes) is outside the 256 bytes of config space') }));
  expect(() => pci.ConfigurationRead16(3)).toThrow(expect.objectContaining({ code: kIOReturnNotAligned }));
  await pci.Close(client);
});

test('edu registers through MemoryRead/Write: identification, liveness, factorial polled on the status register', async () => {
  const { pci, client } = await openEdu();
  expect(pci.MemoryRead32(0, 0x00)).toBe(0x010000ed);
  pci.MemoryWrite32(0, 0x04, 0x12345678);
  expect(pci.MemoryRead32(0, 0x04)).toBe(~0x12345678 >>> 0);
  pci.MemoryWrite32(0, 0x08, 10);
  expect(pci.MemoryRead32(0, 0x20) & 1).toBe(1);
  await waitFor(() => (pci.MemoryRead32(0, 0x20) & 1) === 0);
  expect(pci.MemoryRead32(0, 0x08)).toBe(3628800);
  // Accesses edu does not decode read as all ones; the BAR's end and alignment are enforced.
  expect(pci.MemoryRead16(0, 0x00)).toBe(0xffff);
  expect(pci.MemoryRead32(0, 0x1000)).toBe(0xffffffff);
  expect(() => pci.MemoryRead32(0, 1 << 20)).toThrow(expect.objectContaining({ code: kIOReturnBadArgument, message: expect.stringContaining("outside memory index 0's 0x100000 bytes") }));
  expect(() => pci.MemoryRead32(0, 2)).toThrow(/not aligned to 4 bytes/);
  expect(() => pci.MemoryRead32(1, 0)).toThrow(/has no memory index 1 \(it has 1\)/);
  expect(() => pci._CopyDeviceMemoryWithIndex(0, client)).toThrow(expect.objectContaining({ code: kIOReturnUnsupported, message: expect.stringContaining('registers whose accesses have side effects') }));
  await pci.Close(client);
});

test('interrupts: MSI on index 1 without ConfigureInterrupts, INTx on index 0 after ConfigureInterrupts(Level)', async () => {
  const { pci, client } = await openEdu();
  pci.ConfigurationWrite16(kIOPCIConfigurationOffsetCommand, kIOPCICommandBusLead | kIOPCICommandMemorySpace);
  const queue = IODispatchQueue.Create('edu-test', 0, 0);
  const msi = IOInterruptDispatchSource.Create(pci, 1, queue);
  msi.SetHandler(OSAction.Create(client, 'InterruptOccurred'));
  msi.SetEnable(true);
  pci.MemoryWrite32(0, 0x60, 0x40);
  await waitFor(() => client.interrupts.length === 1);
  expect(pci.MemoryRead32(0, 0x24)).toBe(0x40);
  pci.MemoryWrite32(0, 0x64, 0x40);
  msi.Cancel();

  expect(() => pci.ConfigureInterrupts(kIOInterruptTypePCIMessaged, 2, 2)).toThrow(expect.objectContaining({ code: kIOReturnNoResources, message: '2 MSI vectors required, the function offers 1: kIOReturnNoResources (0xe00002be)' }));
  expect(() => pci.ConfigureInterrupts(kIOInterruptTypePCIMessagedX)).toThrow(expect.objectContaining({ code: kIOReturnUnsupported }));
  pci.ConfigureInterrupts(kIOInterruptTypeLevel);
  expect(() => IOInterruptDispatchSource.Create(pci, 1, queue)).toThrow(/has no interrupt 1/);
  const intx = IOInterruptDispatchSource.Create(pci, 0, queue);
  intx.SetHandler(OSAction.Create(client, 'InterruptOccurred'));
  intx.SetEnable(true);
  pci.MemoryWrite32(0, 0x20, 0x80); // interrupt when the factorial is done
  pci.MemoryWrite32(0, 0x08, 5);
  await waitFor(() => client.interrupts.length === 2);
  expect(pci.MemoryRead32(0, 0x24)).toBe(1);
  expect(pci.ConfigurationRead16(0x06) & 0x8).toBe(0x8); // INTx status while asserted
  pci.MemoryWrite32(0, 0x64, 1);
  expect(pci.ConfigurationRead16(0x06) & 0x8).toBe(0);
  intx.Cancel();
  await pci.Close(client);
});

test('DMA through IODMACommand and the function\'s IOMMU: RAM → edu → RAM, byte exact', async () => {
  const { pci, client } = await openEdu();
  pci.ConfigurationWrite16(kIOPCIConfigurationOffsetCommand, kIOPCICommandBusLead | kIOPCICommandMemorySpace);
  const buffer = IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, 8192, 4096);
  buffer.SetLength(8192);
  const bytes = buffer.GetBytes();
  for (let i = 0; i < 4096; i++) bytes[i] = (i * 7) & 0xff;
  const dma = IODMACommand.Create(pci, 0, { maxAddressBits: 28 });
  const { segments } = dma.PrepareForDMA(0, buffer, 0, 8192);
  expect(segments).toHaveLength(1);
  expect(segments[0]!.address < 1n << 28n).toBe(true);
  const run = async (src: bigint, dst: bigint, cmd: number) => {
    pci.MemoryWrite64(0, 0x80, src);
    pci.MemoryWrite64(0, 0x88, dst);
    pci.MemoryWrite64(0, 0x90, 4096n);
    pci.MemoryWrite64(0, 0x98, BigInt(cmd));
    await waitFor(() => (pci.MemoryRead64(0, 0x98) & 1n) === 0n);
  };
  await run(segments[0]!.address, BigInt(EDU_DMA_START), 1);
  await run(BigInt(EDU_DMA_START), segments[0]!.address + 4096n, 1 | 2);
  expect(Buffer.from(bytes.subarray(4096, 8192)).equals(Buffer.from(bytes.subarray(0, 4096)))).toBe(true);
  dma.CompleteDMA();
  // Once completed, the IOVA reaches nothing: the device's DMA faults instead of touching memory.
  bytes.fill(0, 4096);
  await run(BigInt(EDU_DMA_START), segments[0]!.address + 4096n, 1 | 2);
  expect(bytes.subarray(4096).every((b) => b === 0)).toBe(true);
  await pci.Close(client);
});

test('the PEX8733 DMA channel: a mappable BAR, power management, function-level reset', async () => {
  await bus.attach({ model: 'pex8733-dma' }, { device: 0, function: 1 });
  const pci = nub('pci10b5,87d0');
  expect(pci.getLocation()).toBe('0,1');
  const client = new Client();
  await pci.Open(client);
  const map = pci._CopyDeviceMemoryWithIndex(0, client).CreateMapping();
  pci.MemoryWrite32(0, 0x100, 0xcafef00d);
  expect(map.GetDataView().getUint32(0x100, true)).toBe(0xcafef00d);
  map.GetDataView().setUint32(0x200, 0x1234, true);
  expect(pci.MemoryRead32(0, 0x200)).toBe(0x1234);
  expect(pci.HasPCIPowerManagement()).toBe(true);
  expect(pci.HasPCIPowerManagement(kPCIPMCD3Support)).toBe(true);
  pci.EnablePCIPowerManagement(kPCIPMCSPowerStateD3);
  const pm = pci.FindPCICapability(kIOPCIPowerManagementCapability);
  expect(pci.ConfigurationRead16(pm + 4) & 3).toBe(3);
  pci.EnablePCIPowerManagement(0);
  expect(pci.ConfigurationRead16(pm + 4) & 3).toBe(0);
  const cap = pci.FindPCICapability(-0xb);
  pci.ConfigurationWrite16(kIOPCIConfigurationOffsetCommand, kIOPCICommandBusLead);
  pci.ConfigurationWrite32(cap + 0x10, 0x1000);
  pci.Reset(kIOPCIDeviceResetTypeFunctionReset);
  // The reset cleared the DMA engine's registers; the saved header (command register included) came back.
  expect(pci.ConfigurationRead32(cap + 0x10)).toBe(0);
  expect(pci.ConfigurationRead16(kIOPCIConfigurationOffsetCommand)).toBe(kIOPCICommandBusLead);
  expect(() => pci.Reset(kIOPCIDeviceResetTypeHotReset)).toThrow(expect.objectContaining({ code: kIOReturnUnsupported }));
  map.release();
  await pci.Close(client);
});

/** Two plain-memory BARs around a register BAR (memory indexes 0, 1, 2), for MemoryRead/Write's fast path. */
class TwoMemoryBARs extends VirtualPCIDevice {
  constructor() {
    super({ vendorID: 0x1209, deviceID: 0x0b42, classCode: 0xff0000, bars: [{ size: 4096, memory: true }, { size: 4096 }, { size: 8192, memory: true }] });
  }

  override mmioRead(_bar: number, offset: number, width: 1 | 2 | 4 | 8): number | bigint {
    return width === 8 ? 0x5a5an : 0x5a00 + offset;
  }
}

test('MemoryRead/Write across several mappable BARs: each index reaches its own BAR, bounds are per BAR, a new session sees only its own memory', async () => {
  // Each Open makes a new device (fresh memory), as the virtual backend does.
  PCIDeviceOpeners.register({ name: 'two-bars', open: async () => new VirtualPCIDeviceHandle(new TwoMemoryBARs(), 'two-bars') });
  const model = new TwoMemoryBARs();
  const info: PCIFunctionInfo = { id: 'two-bars-0', domain: 0, bus: 0x81, device: 0, function: 0, config: Uint8Array.from(model.config), barSizes: [4096n, 4096n, 8192n], locator: {} };
  const stop = new PCIHostController(host, [{ name: 'two-bars', list: () => [info], watch: () => () => {} }]);
  stop.start();
  await waitFor(() => [...host.registry.entries()].some((e) => e instanceof IOPCIDevice && e.getName() === 'pci1209,b42'));
  const pci = nub('pci1209,b42');
  const client = new Client();
  await pci.Open(client);
  const views = [0, 2].map((i) => pci._CopyDeviceMemoryWithIndex(i, client).CreateMapping());
  const [bar0, bar2] = views.map((m) => m.GetDataView());
  // Interleaved, so the accessors move between the BARs on every call.
  for (let i = 0; i < 16; i++) {
    pci.MemoryWrite32(0, i * 4, 0x1000 + i);
    pci.MemoryWrite32(2, i * 4, 0x2000 + i);
    expect(pci.MemoryRead32(1, i * 4)).toBe(0x5a00 + i * 4);
  }
  for (let i = 0; i < 16; i++) {
    expect([bar0!.getUint32(i * 4, true), bar2!.getUint32(i * 4, true)]).toEqual([0x1000 + i, 0x2000 + i]);
    expect([pci.MemoryRead32(2, i * 4), pci.MemoryRead32(0, i * 4)]).toEqual([0x2000 + i, 0x1000 + i]);
  }
  pci.MemoryWrite8(2, 0x1001, 0xab);
  pci.MemoryWrite16(0, 0x102, 0xbeef);
  pci.MemoryWrite64(2, 0x1ff8, 0x0123456789abcdefn);
  expect([pci.MemoryRead8(2, 0x1001), pci.MemoryRead16(0, 0x102), pci.MemoryRead64(2, 0x1ff8), pci.MemoryRead64(1, 0)]).toEqual([0xab, 0xbeef, 0x0123456789abcdefn, 0x5a5an]);
  expect([bar2!.getUint8(0x1001), bar0!.getUint16(0x102, true), bar2!.getBigUint64(0x1ff8, true)]).toEqual([0xab, 0xbeef, 0x0123456789abcdefn]);
  // BAR2 is 8 KiB and BAR0 4 KiB: an offset inside the one is outside the other, whichever was used last.
  expect(pci.MemoryRead32(2, 0x1800)).toBe(0);
  expect(() => pci.MemoryRead32(0, 0x1800)).toThrow(expect.objectContaining({ code: kIOReturnBadArgument, message: expect.stringContaining("outside memory index 0's 0x1000 bytes") }));
  expect(() => pci.MemoryWrite32(0, 0x1800, 1)).toThrow(/outside memory index 0/);
  expect(() => pci.MemoryRead16(2, 3)).toThrow(/not aligned to 2 bytes/);
  expect(() => pci.MemoryRead32(3, 0)).toThrow(/has no memory index 3 \(it has 3\)/);
  for (const m of views) m.release();
  await pci.Close(client);
  expect(() => pci.MemoryRead32(2, 0)).toThrow(expect.objectContaining({ code: kIOReturnNotOpen }));
  expect(() => pci.MemoryWrite32(0, 0, 1)).toThrow(expect.objectContaining({ code: kIOReturnNotOpen }));
  // Opened again: a new device, whose memory holds none of the last session's values.
  await pci.Open(client);
  expect([pci.MemoryRead32(0, 0), pci.MemoryRead32(2, 0), pci.MemoryRead64(2, 0x1ff8)]).toEqual([0, 0, 0n]);
  await pci.Close(client);
  await stop.stop();
});

test('a function that goes away reads all ones and drops writes; its driver closes it', async () => {
  const unplug = await bus.attach({ model: 'edu', options: { dmaDelayMs: 1 } });
  const pci = nub('pci1234,11e8');
  const client = new Client();
  await pci.Open(client);
  pci.retain();
  unplug();
  await waitFor(() => pci.isInactive());
  expect(pci.ConfigurationRead32(0)).toBe(0xffffffff);
  expect(pci.MemoryRead32(0, 0)).toBe(0xffffffff);
  expect(pci.MemoryRead64(0, 0x80)).toBe(0xffffffffffffffffn);
  pci.MemoryWrite32(0, 0x04, 1);
  await pci.Close(client);
  pci.release();
});
