import {
  IODispatchQueue,
  IOService,
  IOServiceHost,
  IOServiceNotificationDispatchSource,
  OSAction,
  OSObject,
  kIOReturnNotPermitted,
  kIOServiceNotificationTypeMatched,
  kIOServiceNotificationTypeNone,
  kIOServiceNotificationTypeTerminated,
} from '../index';

class Widget extends IOService {}
class Gadget extends IOService {}

class Watcher extends OSObject {
  seen: string[] = [];
  source!: IOServiceNotificationDispatchSource;
  ServiceNotificationReady(): void {
    this.source.DeliverNotifications((type, service) => {
      this.seen.push(`${type === kIOServiceNotificationTypeMatched ? 'matched' : type === kIOServiceNotificationTypeTerminated ? 'terminated' : '?'} ${service.getName()}`);
    });
  }
}

function widget(name: string, Class: new () => IOService = Widget): IOService {
  const w = new Class();
  w.setName(name);
  w.setProperty('Color', name.startsWith('red') ? 'red' : 'blue');
  return w;
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

describe('IOServiceNotificationDispatchSource', () => {
  let host: IOServiceHost;
  beforeEach(() => {
    host = new IOServiceHost({ mode: 'in-process' });
  });
  afterEach(() => host.stop());

  function watch(matching = IOService.CreateKernelClassMatchingDictionary('Widget')): Watcher {
    const w = new Watcher();
    w.source = IOServiceNotificationDispatchSource.Create(matching, 0, IODispatchQueue.Create('watch', 0, 0), host.registry);
    w.source.SetHandler(OSAction.Create(w, 'ServiceNotificationReady', 0));
    return w;
  }

  test('services already registered come first, then new ones, then terminations', async () => {
    host.publishNub(widget('red1'));
    host.publishNub(widget('other', Gadget));
    const w = watch();
    await settle();
    expect(w.seen).toEqual(['matched red1']);
    const blue = widget('blue1');
    host.publishNub(blue);
    await settle();
    await blue.Terminate();
    await settle();
    expect(w.seen).toEqual(['matched red1', 'matched blue1', 'terminated blue1']);
  });

  test('property and name matching dictionaries; a service matched once is not reported twice', async () => {
    const byColor = watch(IOService.CreatePropertyMatchingDictionary('Color', 'red', IOService.CreateKernelClassMatchingDictionary('Widget')));
    const byName = watch(IOService.CreateNameMatchingDictionary('blue2'));
    const red = widget('red2');
    host.publishNub(red);
    host.publishNub(widget('blue2'));
    red.setProperty('Extra', 1);
    red.RegisterService();
    await settle();
    expect(byColor.seen).toEqual(['matched red2']);
    expect(byName.seen).toEqual(['matched blue2']);
  });

  test('notifications wait while disabled; nothing is delivered after Cancel', async () => {
    const w = watch();
    w.source.SetEnable(false);
    host.publishNub(widget('red3'));
    await settle();
    expect(w.seen).toEqual([]);
    w.source.SetEnable(true);
    await settle();
    expect(w.seen).toEqual(['matched red3']);
    w.source.Cancel();
    host.publishNub(widget('red4'));
    await settle();
    expect(w.seen).toEqual(['matched red3']);
    expect(w.source.CopyNextNotification().type).toBe(kIOServiceNotificationTypeNone);
    expect(() => w.source.SetHandler(OSAction.Create(w, 'ServiceNotificationReady', 0))).toThrow(expect.objectContaining({ code: kIOReturnNotPermitted }));
  });
});
