import {
  IOReturnError,
  checkIOReturn,
  defineIOReturn,
  err_get_code,
  err_get_sub,
  err_get_system,
  iokit_family_err,
  ioReturnDescription,
  ioReturnFromException,
  ioReturnName,
  ioReturnString,
  isIOReturnError,
  kIOReturnAborted,
  kIOReturnBadArgument,
  kIOReturnError,
  kIOReturnInvalid,
  kIOReturnNoDevice,
  kIOReturnNoMemory,
  kIOReturnNotFound,
  kIOReturnNotPermitted,
  kIOReturnSuccess,
  kIOReturnUnsupported,
  sub_iokit_usb,
} from '../index';
import * as all from '../index';

describe('kIOReturn values', () => {
  test('match IOReturn.h, including the signed forms the reference quotes', () => {
    expect(kIOReturnSuccess).toBe(0);
    expect(kIOReturnError).toBe(0xe00002bc);
    expect(kIOReturnError | 0).toBe(-536870212);
    expect(kIOReturnNoMemory).toBe(0xe00002bd);
    expect(kIOReturnBadArgument | 0).toBe(-536870206);
    expect(kIOReturnUnsupported | 0).toBe(-536870201);
    expect(kIOReturnNotPermitted).toBe(0xe00002e2);
    expect(kIOReturnNotPermitted | 0).toBe(-536870174);
    expect(kIOReturnAborted).toBe(0xe00002eb);
    expect(kIOReturnNotFound).toBe(0xe00002f0);
    expect(kIOReturnInvalid).toBe(0xe0000001);
  });

  test('every exported kIOReturn constant is named, unique, and in the common range', () => {
    const codes = Object.entries(all).filter(([k, v]) => k.startsWith('kIOReturn') && typeof v === 'number') as Array<[string, number]>;
    // 0x2bc…0x2f0 less the two gaps, plus Success and Invalid.
    expect(codes.length).toBe(0x2f0 - 0x2bc + 1 - 2 + 2);
    const values = new Set(codes.map(([, v]) => v));
    expect(values.size).toBe(codes.length);
    for (const [name, value] of codes) {
      expect(ioReturnName(value)).toBe(name);
      expect(ioReturnDescription(value)).toBeTruthy();
      if (value !== 0) {
        expect(err_get_system(value)).toBe(0x38);
        expect(err_get_sub(value)).toBe(0);
      }
    }
    // Apple leaves gaps at 0x2cb and 0x2dc.
    expect(ioReturnName(0xe00002cb)).toBeUndefined();
    expect(ioReturnName(0xe00002dc)).toBeUndefined();
  });

  test('ioReturnString names known codes and spells out unknown ones', () => {
    expect(ioReturnString(kIOReturnNoDevice)).toBe('kIOReturnNoDevice (0xe00002c0)');
    expect(ioReturnString(-536870212)).toBe('kIOReturnError (0xe00002bc)');
    expect(ioReturnString(0xe0004fff)).toBe('unknown IOReturn 0xe0004fff (system 0x38, sub 0x1, code 0xfff)');
  });

  test('families name their own codes through defineIOReturn', () => {
    const code = iokit_family_err(sub_iokit_usb, 0x4f);
    expect(code).toBe(0xe000404f);
    expect(err_get_code(code)).toBe(0x4f);
    defineIOReturn('kIOUSBPipeStalled', code, 'pipe stalled');
    defineIOReturn('kIOUSBPipeStalled', code, 'pipe stalled');
    expect(ioReturnString(code)).toBe('kIOUSBPipeStalled (0xe000404f)');
    expect(() => defineIOReturn('kSomethingElse', code, 'x')).toThrow(/already named kIOUSBPipeStalled/);
  });
});

describe('IOReturnError', () => {
  test('carries the code, the name and a message ending in name and hex', () => {
    const e = new IOReturnError(kIOReturnNoDevice, 'open /dev/bus/usb/001/004', { osError: 'ENODEV' });
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe(0xe00002c0);
    expect(e.name).toBe('kIOReturnNoDevice');
    expect(e.reason).toBe('open /dev/bus/usb/001/004');
    expect(e.message).toBe('open /dev/bus/usb/001/004: kIOReturnNoDevice (0xe00002c0)');
    expect(e.osError).toBe('ENODEV');
    expect(isIOReturnError(e)).toBe(true);
  });

  test('normalises signed codes', () => {
    expect(new IOReturnError(-536870206, 'x').code).toBe(kIOReturnBadArgument);
  });

  test('the brand check recognises errors from another copy of the package', () => {
    const foreign = Object.assign(new Error('x'), { code: kIOReturnAborted });
    Object.defineProperty(foreign, Symbol.for('@driverkit/driverkit/IOReturnError'), { value: true });
    expect(isIOReturnError(foreign)).toBe(true);
    expect(isIOReturnError(new Error('x'))).toBe(false);
    expect(isIOReturnError({ code: kIOReturnAborted })).toBe(false);
    expect(isIOReturnError(null)).toBe(false);
  });

  test('at a dispatch boundary, non-IOReturn exceptions become kIOReturnError', () => {
    expect(ioReturnFromException(new IOReturnError(kIOReturnAborted, 'x'))).toBe(kIOReturnAborted);
    expect(ioReturnFromException(new TypeError('x'))).toBe(kIOReturnError);
    expect(ioReturnFromException('thrown string')).toBe(kIOReturnError);
  });

  test('checkIOReturn throws only for failures', () => {
    expect(() => checkIOReturn(kIOReturnSuccess, 'ok')).not.toThrow();
    expect(() => checkIOReturn(kIOReturnNotPermitted, 'open')).toThrow('open: kIOReturnNotPermitted (0xe00002e2)');
  });
});
