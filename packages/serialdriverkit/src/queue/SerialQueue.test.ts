import { SerialPortInterface, kSerialPortInterfaceSize } from '../SerialPortInterface';
import { SerialQueue } from './SerialQueue';

function rings(size = 16) {
  const spi = new SerialPortInterface(new Uint8Array(kSerialPortInterfaceSize));
  return { spi, tx: new SerialQueue('tx', new Uint8Array(size), spi), rx: new SerialQueue('rx', new Uint8Array(size), spi) };
}

describe('SerialQueue', () => {
  test('bytes come out as they went in, across the wrap, and a full ring takes no more', () => {
    const { spi, tx } = rings();
    expect(tx.produce(Uint8Array.from({ length: 10 }, (_, i) => i))).toBe(10);
    expect([...tx.consume(6)]).toEqual([0, 1, 2, 3, 4, 5]);
    // 12 more: 4 fit before the end, 8 wrap to the start.
    expect(tx.produce(Uint8Array.from({ length: 14 }, (_, i) => 100 + i))).toBe(12);
    expect(tx.free()).toBe(0);
    expect([...tx.consume()]).toEqual([6, 7, 8, 9, ...Array.from({ length: 12 }, (_, i) => 100 + i)]);
    expect([spi.txPI, spi.txCI]).toEqual([22, 22]);
    expect([spi.rxPI, spi.rxCI]).toEqual([0, 0]);
  });

  test('indices run free through 2^32 without losing bytes', () => {
    const { spi, rx } = rings();
    spi.rxPI = spi.rxCI = 0xffff_fffa;
    expect(rx.produce(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8))).toBe(8);
    expect(spi.rxPI).toBe(2);
    expect(rx.used()).toBe(8);
    expect([...rx.consume()]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  test('indices a peer corrupted (producer behind consumer) read as an empty ring, never past the buffer', () => {
    const { spi, tx } = rings();
    spi.txPI = 3;
    spi.txCI = 9;
    expect(tx.used()).toBe(0);
    expect(tx.consume().length).toBe(0);
  });

  test('a ring must be a power of two', () => {
    const spi = new SerialPortInterface(new Uint8Array(kSerialPortInterfaceSize));
    expect(() => new SerialQueue('tx', new Uint8Array(12), spi)).toThrow(/power of two; 12/);
  });
});
