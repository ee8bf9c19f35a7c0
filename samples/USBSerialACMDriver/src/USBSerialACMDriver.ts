// A USB-to-serial driver for a CDC-ACM device (USB CDC 1.2, PSTN 1.2), written against IOUserUSBSerial:
// the base class runs the bulk and interrupt pipes and the tty; this class programs the line with the
// ACM class requests and turns the device's SERIAL_STATE notifications into modem status.

import { kIOMemoryDirectionOut, type IOService } from '@driverkit/driverkit';
import { IOUserUSBSerial, PD_RS232_PARITY_EVEN, PD_RS232_PARITY_MARK, PD_RS232_PARITY_ODD, PD_RS232_PARITY_SPACE } from '@driverkit/serialdriverkit';

const Log = (message: string) => console.log(`USBSerialACMDriver - ${message}`);

// PSTN 1.2 §6.3: class requests to the communication interface.
const kClassInterfaceOut = 0x21;
const SET_LINE_CODING = 0x20;
const SET_CONTROL_LINE_STATE = 0x22;
const SEND_BREAK = 0x23;
// PSTN 1.2 §6.5.4: the SERIAL_STATE notification's bitmap.
const SERIAL_STATE = 0x20;
const kRxCarrier = 1 << 0; // DCD
const kTxCarrier = 1 << 1; // DSR
const kRingSignal = 1 << 3;

interface LineCoding {
  baudRate: number;
  halfStopBits: number;
  parity: number;
  dataBits: number;
}

export class USBSerialACMDriver extends IOUserUSBSerial {
  #coding: LineCoding = { baudRate: 9600, halfStopBits: 2, parity: 0, dataBits: 8 };

  override async Start(provider: IOService): Promise<void> {
    await super.Start(provider);
    Log(`Start() - ${provider.getName()} is ${String(this.getProperty('IOCalloutDevice'))}`);
  }

  override async HwActivate(): Promise<void> {
    // No carrier until the device says so.
    this.SetModemStatus(true, false, false, false);
  }

  override async HwProgramUART(baudRate: number, nDataBits: number, nHalfStopBits: number, parity: number): Promise<void> {
    this.#coding = { baudRate, halfStopBits: nHalfStopBits, parity, dataBits: nDataBits };
    await this.#setLineCoding();
  }

  override async HwProgramBaudRate(baudRate: number): Promise<void> {
    this.#coding.baudRate = baudRate;
    await this.#setLineCoding();
  }

  override async HwProgramMCR(dtr: boolean, rts: boolean): Promise<void> {
    await this.controlInterface.DeviceRequest(kClassInterfaceOut, SET_CONTROL_LINE_STATE, (dtr ? 1 : 0) | (rts ? 2 : 0), this.#commInterface(), 0, null);
  }

  override async HwSendBreak(sendBreak: boolean): Promise<void> {
    // 0xFFFF: until told otherwise; 0: end it.
    await this.controlInterface.DeviceRequest(kClassInterfaceOut, SEND_BREAK, sendBreak ? 0xffff : 0, this.#commInterface(), 0, null);
  }

  override handleInterruptPacket(packet: Uint8Array): void {
    // bmRequestType 0xA1, bNotification, wValue, wIndex, wLength = 2, then the 16-bit UART state.
    if (packet.length < 10 || packet[1] !== SERIAL_STATE) return;
    const state = packet[8]! | (packet[9]! << 8);
    const dsr = (state & kTxCarrier) !== 0;
    // CDC reports no CTS: a device that is ready (DSR) may be sent to.
    this.SetModemStatus(dsr, dsr, (state & kRingSignal) !== 0, (state & kRxCarrier) !== 0);
  }

  async #setLineCoding(): Promise<void> {
    // dwDTERate, bCharFormat (0: 1, 1: 1.5, 2: 2 stop bits), bParityType (0 none, 1 odd, 2 even, 3 mark, 4 space), bDataBits.
    const { baudRate, halfStopBits, parity, dataBits } = this.#coding;
    const coding = new Uint8Array(7);
    new DataView(coding.buffer).setUint32(0, baudRate, true);
    coding[4] = halfStopBits >= 4 ? 2 : halfStopBits === 3 ? 1 : 0;
    coding[5] = { [PD_RS232_PARITY_ODD]: 1, [PD_RS232_PARITY_EVEN]: 2, [PD_RS232_PARITY_MARK]: 3, [PD_RS232_PARITY_SPACE]: 4 }[parity] ?? 0;
    coding[6] = dataBits;
    const buffer = this.controlInterface.CreateIOBuffer(kIOMemoryDirectionOut, coding.length);
    try {
      buffer.GetBytes().set(coding);
      await this.controlInterface.DeviceRequest(kClassInterfaceOut, SET_LINE_CODING, 0, this.#commInterface(), coding.length, buffer);
    } finally {
      buffer.release();
    }
  }

  #commInterface(): number {
    return Number(String(this.controlInterface.getProperty('bInterfaceNumber') ?? 0));
  }
}
