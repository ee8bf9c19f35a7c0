import { closeSync, fstatSync, openSync } from 'node:fs';
import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument, kIOReturnNotFound, kIOReturnNotPermitted } from '../IOReturn/IOReturn';
import { mapShared, unmap, type SharedMapping } from '../native/LinuxNative';
import { OSObject } from '../os/OSObject';

/**
 * Mirrors `OSMappedFile`: a file mapped read-only into the process, its bytes without a copy.
 * `createFromPath` fails with kIOReturnNotFound or kIOReturnNotPermitted naming the path; the
 * mapping goes in `free`. (`minGuardSize` asks DriverKit for guard pages around the mapping; Linux's
 * mmap places mappings apart from others already, so it is accepted and not otherwise used.)
 */
export class OSMappedFile extends OSObject {
  #mapping: SharedMapping | null;
  readonly #size: number;

  private constructor(mapping: SharedMapping | null, size: number) {
    super();
    this.#mapping = mapping;
    this.#size = size;
  }

  /** Mirrors `OSMappedFile::createFromPath(path, options, minGuardSize, &mappedFile)`. */
  static createFromPath(path: string, options: bigint | number = 0n, _minGuardSize: number = 0): OSMappedFile {
    if (BigInt(options) !== 0n) throw new IOReturnError(kIOReturnBadArgument, `OSMappedFile.createFromPath: unknown options 0x${BigInt(options).toString(16)}`);
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new IOReturnError(code === 'ENOENT' ? kIOReturnNotFound : kIOReturnNotPermitted, `cannot open ${path} (${code})`, { osError: code, cause: e });
    }
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) throw new IOReturnError(kIOReturnBadArgument, `${path} is not a regular file`);
      // An empty file has nothing to map (mmap refuses a length of 0).
      return new OSMappedFile(st.size > 0 ? mapShared(fd, st.size, true) : null, st.size);
    } finally {
      closeSync(fd);
    }
  }

  /** Mirrors `data()`: the file's bytes. Treat them as read-only: writes stay in this process's copy. */
  data(): Uint8Array {
    return this.#mapping ? new Uint8Array(this.#mapping.buffer, 0, this.#size) : new Uint8Array(0);
  }

  /** Mirrors `size()`. */
  size(): number {
    return this.#size;
  }

  override free(): void {
    if (this.#mapping) unmap(this.#mapping);
    this.#mapping = null;
    super.free();
  }
}
