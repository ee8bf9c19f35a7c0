// Measures BAR access in its own driver process, as a driver would make it: IOPCIDevice.MemoryRead32 /
// MemoryWrite32 against a plain DataView over the same BAR (mapped with _CopyDeviceMemoryWithIndex),
// each the median of timed batches. Results go into its properties, which the host mirrors.
import { IOService } from '@driverkit/driverkit';
import { IOPCIDevice } from '@driverkit/pcidriverkit';

function measure(fn) {
  let batch = 1024;
  for (;;) {
    const t0 = process.hrtime.bigint();
    fn(batch);
    if (Number(process.hrtime.bigint() - t0) >= 5e6) break;
    batch *= 2;
  }
  const samples = [];
  const deadline = Date.now() + 400;
  while (samples.length < 9 || Date.now() < deadline) {
    const t0 = process.hrtime.bigint();
    fn(batch);
    samples.push(Number(process.hrtime.bigint() - t0) / batch);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}

export class PCIBenchDriver extends IOService {
  async Start(provider) {
    await super.Start(provider);
    if (!(provider instanceof IOPCIDevice)) throw new Error('not an IOPCIDevice');
    await provider.Open(this);
    const map = provider._CopyDeviceMemoryWithIndex(0, this).CreateMapping();
    const view = map.GetDataView();
    let sink = 0;
    const results = {
      MemoryRead32: measure((n) => { for (let i = 0; i < n; i++) sink ^= provider.MemoryRead32(0, (i & 1023) << 2); }),
      DataViewRead32: measure((n) => { for (let i = 0; i < n; i++) sink ^= view.getUint32((i & 1023) << 2, true); }),
      MemoryWrite32: measure((n) => { for (let i = 0; i < n; i++) provider.MemoryWrite32(0, (i & 1023) << 2, i); }),
      DataViewWrite32: measure((n) => { for (let i = 0; i < n; i++) view.setUint32((i & 1023) << 2, i, true); }),
      ConfigurationRead32: measure((n) => { for (let i = 0; i < n; i++) sink ^= provider.ConfigurationRead32(0); }),
    };
    this.setProperty('BenchResults', JSON.stringify(results));
    this.setProperty('BenchSink', sink);
    map.release();
    await provider.Close(this);
    this.RegisterService();
  }
}
