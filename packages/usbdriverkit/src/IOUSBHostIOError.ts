import { IOReturnError } from '@driverkit/driverkit';

/**
 * What `IOUSBHostPipe.IO` throws when a transfer ends with an error status: the status as its
 * kIOReturn code, and the bytes moved before it (`bytesTransferred`, which Apple's `IO` fills in
 * whatever the status). Data an IN transfer got before the error is in the buffer.
 */
export class IOUSBHostIOError extends IOReturnError {
  constructor(
    code: number,
    message: string,
    readonly bytesTransferred: number,
  ) {
    super(code, message);
  }
}
