import { SerialPort } from 'serialport';

/** Opens `path` with serialport (115200 unless told otherwise). */
export function open(path: string, options: Partial<ConstructorParameters<typeof SerialPort>[0]> = {}): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate: 115200, ...options }, (e) => (e ? reject(e) : resolve(port)));
  });
}

/** Resolves with the first `length` bytes (or more) the port reads from now on. */
export function receive(port: SerialPort, length: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let n = 0;
    const onData = (d: Buffer) => {
      chunks.push(d);
      n += d.length;
      if (n >= length) {
        port.off('data', onData);
        resolve(Buffer.concat(chunks));
      }
    };
    port.on('data', onData);
  });
}

/** Resolves with `f()` once it is truthy; fails naming `what` after `ms`. */
export async function until<T>(f: () => T | undefined | null | false, what: string, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`${what} did not happen within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
