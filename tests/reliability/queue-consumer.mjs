#!/usr/bin/env node
// The consumer of the data-queue load: attaches to the producer's queue by its shared-memory name and
// drains it on DataAvailable, checking that each 64-byte record carries the next sequence number and
// its check word. Stops when the producer's end record (sequence 0xFFFFFFFF) arrives; prints one JSON
// line: records, out of order, corrupt.
import { IOBufferMemoryDescriptor, IODataQueueDispatchSource, IODispatchQueue, IOSharedMemory, OSAction, OSObject } from '@driverkit/driverkit';

const [name] = process.argv.slice(2);
const memory = IOBufferMemoryDescriptor.withSharedMemory(3n, IOSharedMemory.attach(name));
const source = IODataQueueDispatchSource.CreateWithMemory(memory, IODispatchQueue.Create('consumer', 0, 0));
let expected = 0;
let records = 0;
let disorder = 0;
let corrupt = 0;
let done = false;
const take = (d) => {
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const seq = v.getUint32(0, true);
  if (seq === 0xffffffff) return void (done = true);
  if (d.length !== 64 || v.getUint32(60, true) !== (seq ^ 0x5a5a5a5a) >>> 0) corrupt++;
  if (seq !== expected) disorder++;
  expected = seq + 1;
  records++;
};
class Consumer extends OSObject {
  DataAvailable() {
    while (!done && source.Dequeue(take) === 0) {}
    if (done) {
      console.log(JSON.stringify({ records, disorder, corrupt }));
      source.Cancel();
      process.exit(0);
    }
  }
}
source.SetDataAvailableHandler(OSAction.Create(new Consumer(), 'DataAvailable', 0));
console.log('ready');
