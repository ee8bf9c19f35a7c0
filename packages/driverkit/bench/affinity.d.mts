/** Pins the calling thread to `cpu`; false where it cannot. */
export function pinThread(cpu: number): boolean;
/** Lets the calling thread run on the first `cpus` CPUs again. */
export function unpinThread(cpus: number): void;
