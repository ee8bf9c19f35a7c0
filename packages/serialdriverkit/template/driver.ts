// __NAME__: a serial port driver in Apple's shape. IOUserSerial publishes the port as a real tty (its
// cu. and tty. names are in the registry); this UART's hardware is a loopback: what an application
// writes (TxDataAvailable) comes back to it (enqueueRxData). Replace the loopback with your chip's
// I/O, and the Hw* hooks with its registers. Try it: `npm start`, then `screen <the cu. path>`.
import { OSString, type IOService } from '@driverkit/driverkit';
import { IOUserSerial } from '@driverkit/serialdriverkit';
import { k__NAME__UserClientType } from './__NAME__UserClient.js';

const Log = (message: string) => console.log(`__NAME__ - ${message}`);

export class __NAME__ extends IOUserSerial {
  #echoed = 0;
  #baud = 0;

  override async Start(provider: IOService): Promise<void> {
    await super.Start(provider);
    Log(`Start() - ${this.Identity()}`);
  }

  /** Bytes an application wrote are in the TX ring: send them "out", which loops them back in. */
  override async TxDataAvailable(): Promise<void> {
    this.#loop();
  }

  /** The application read: the RX ring has room for what TX still holds. */
  override RxFreeSpaceAvailable(): void {
    this.#loop();
  }

  #loop(): void {
    const spi = this.serialPortInterface;
    if (!spi) return;
    // No more than the RX ring takes: the rest waits in TX, and the writer is held back.
    const room = 2 ** spi.rxqlogsz - ((spi.rxPI - spi.rxCI) >>> 0);
    const bytes = this.dequeueTxData(room);
    if (bytes.length > 0) this.#echoed += this.enqueueRxData(bytes);
  }

  override async HwProgramUART(baudRate: number, _nDataBits: number, _nHalfStopBits: number, _parity: number): Promise<void> {
    this.#baud = baudRate;
  }

  override async HwProgramBaudRate(baudRate: number): Promise<void> {
    this.#baud = baudRate;
  }

  /** Where the port is and what it did, for the user client. */
  Identity(): string {
    const name = (key: string) => (this.getProperty(key) as OSString | null)?.getCStringNoCopy() ?? '?';
    return `serial port ${name('IOCalloutDevice')} (tty ${name('IOSerialPTYPath')}), a loopback UART at ${this.#baud} baud, ${this.#echoed} bytes echoed`;
  }

  override async NewUserClient(type: number): Promise<IOService> {
    // The port's own user client (modem lines, break, data format) keeps every other type.
    return type === k__NAME__UserClientType ? this.Create(this, 'UserClientProperties') : super.NewUserClient(type);
  }
}
