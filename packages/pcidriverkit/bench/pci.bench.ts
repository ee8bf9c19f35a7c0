// `npm run bench` in this package: BAR access from a driver process. The driver (bench/pci-bench-driver)
// opens a virtual PEX8733 DMA channel, whose BAR0 is plain memory, and times IOPCIDevice.MemoryRead32 /
// MemoryWrite32 against a plain DataView over the same mapping, in the same run. Target: ≤ 2× the
// DataView. (Interrupt latency against a bare eventfd loop needs the real device: bench/interrupts.guest-bench.mjs.)
import { fileURLToPath } from 'node:url';
import { IOServiceHost, OSString } from '@driverkit/driverkit';
import { PCIHostController, PCIMatchingFamily, VirtualPCIBus } from '../src/index';
import { figure } from '../../../scripts/bench/figures.cjs';

async function main() {
  const host = new IOServiceHost({ log: () => {} });
  host.registerFamily(PCIMatchingFamily);
  const bus = new VirtualPCIBus();
  const controller = new PCIHostController(host, [bus]);
  controller.start();
  const started = new Promise<void>((resolve, reject) =>
    host.onEvent((e) => (e.kind === 'started' ? resolve() : e.kind === 'failed' || e.kind === 'crashed' ? reject(new Error(e.message)) : undefined)),
  );
  await bus.attach({ model: 'pex8733-dma' }, { function: 1 });
  host.addDriverBundle(fileURLToPath(new URL('pci-bench-driver', import.meta.url)));
  await started;
  await host.whenIdle();
  const driver = host.nubs().flatMap((n) => [...host.clientsOf(n).values()]).find((s) => s.getProperty('BenchResults'))!;
  const r = JSON.parse((driver.getProperty('BenchResults') as OSString).getCStringNoCopy()) as Record<string, number>;
  const line = (name: string, ns: number, base?: number, target?: number) =>
    console.log(`  ${name.padEnd(34)} ${ns.toFixed(1).padStart(7)} ns${base ? `   ${(ns / base).toFixed(2)}× the DataView${target ? ` (target ≤ ${target}×: ${ns / base <= target ? 'met' : 'not met'})` : ''}` : ''}`);
  console.log('BAR access from a driver process (virtual PEX8733 BAR0, plain memory):');
  line('DataView.getUint32 (baseline)', r.DataViewRead32!);
  line('IOPCIDevice.MemoryRead32', r.MemoryRead32!, r.DataViewRead32, 2);
  line('DataView.setUint32 (baseline)', r.DataViewWrite32!);
  line('IOPCIDevice.MemoryWrite32', r.MemoryWrite32!, r.DataViewWrite32, 2);
  line('IOPCIDevice.ConfigurationRead32', r.ConfigurationRead32!);
  figure({ figure: 'BAR MemoryRead32 from a driver process', value: r.MemoryRead32!, unit: 'ns', baseline: 'DataView.getUint32', baselineValue: r.DataViewRead32!, goal: '≤ 2× baseline', met: r.MemoryRead32! <= 2 * r.DataViewRead32! });
  figure({ figure: 'BAR MemoryWrite32 from a driver process', value: r.MemoryWrite32!, unit: 'ns', baseline: 'DataView.setUint32', baselineValue: r.DataViewWrite32!, goal: '≤ 2× baseline', met: r.MemoryWrite32! <= 2 * r.DataViewWrite32! });
  await controller.stop();
  await host.stop();
}

void main().then(() => process.exit(0), (e) => {
  console.error(e);
  process.exit(1);
});
