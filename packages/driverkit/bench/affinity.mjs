// Thread placement for latency benches: a wake-up between two threads costs ~20 µs more when they sit
// on different cores of this VM than on one, and the scheduler places each new worker as it likes, so
// an unpinned round trip measures where its threads landed. Pinning gives every case the same placement.
import koffi from 'koffi';

let setAffinity = null;

/** Pins the calling thread to `cpu` (sched_setaffinity of thread 0, the caller); false where it cannot. */
export function pinThread(cpu) {
  try {
    setAffinity ??= koffi.load('libc.so.6').func('int sched_setaffinity(int pid, size_t size, void *mask)');
    const mask = Buffer.alloc(128);
    mask[cpu >> 3] |= 1 << (cpu & 7);
    return setAffinity(0, mask.length, mask) === 0;
  } catch {
    return false;
  }
}

/** Lets the calling thread run on every CPU again. */
export function unpinThread(cpus) {
  try {
    const mask = Buffer.alloc(128);
    for (let cpu = 0; cpu < cpus; cpu++) mask[cpu >> 3] |= 1 << (cpu & 7);
    setAffinity?.(0, mask.length, mask);
  } catch {
    // as it was
  }
}
