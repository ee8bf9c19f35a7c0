import { IORemoteArguments, kIOReturnBadArgument, toOSDictionary } from '../index';

test('a nub reads what a driver process sent without trusting it: each refusal names the call and the argument', () => {
  const a = new IORemoteArguments(toOSDictionary({ n: 300, big: 2n ** 60n, s: 'feature', d: Uint8Array.of(1, 2, 3), wrong: 'x' }), 'HID getReport');
  expect([a.number('n'), a.number('n', 300), a.string('s'), a.string('s', ['input', 'feature']), [...a.data('d')!], a.data('absent')]).toEqual([300, 300, 'feature', 'feature', [1, 2, 3], null]);
  const refused = (f: () => unknown, message: string) => expect(f).toThrow(expect.objectContaining({ code: kIOReturnBadArgument, message: expect.stringContaining(message) }));
  refused(() => a.number('n', 255), 'HID getReport: "n" must be a number from 0 to 255');
  refused(() => a.number('big'), '"big" is out of range');
  refused(() => a.number('s'), '"s" is missing or not a number');
  refused(() => a.number('absent'), '"absent" is missing or not a number');
  refused(() => a.string('n'), '"n" is missing or not a string');
  refused(() => a.string('s', ['output']), '"s" must be one of output');
  refused(() => a.data('wrong'), '"wrong" is not data');
  refused(() => a.data('d', 2), '"d" is longer than 2 bytes');
  refused(() => a.requiredData('absent'), '"absent" is missing or not data');
});
