import { fromOSObject } from '../index';
import { IOHostActivity } from './IOHostActivity';

test('counter sources are read when asked, as data queues, until taken away; counts add up by kind and name', () => {
  const activity = new IOHostActivity();
  let frames = 3;
  const unpublish = activity.source('dk0', () => ({ 'TX frames': frames }));
  activity.count('user-client calls', 'NullDriver');
  activity.count('user-client calls', 'NullDriver');
  const counters = () => (fromOSObject(activity.toDictionary()) as { counters: unknown[] }).counters;
  expect(counters()).toEqual([
    { kind: 'user-client calls', name: 'NullDriver', count: 2 },
    { kind: 'data queues', name: 'dk0 TX frames', count: 3 },
  ]);
  frames = 10;
  expect(counters()).toContainEqual({ kind: 'data queues', name: 'dk0 TX frames', count: 10 });
  unpublish();
  expect(counters()).toEqual([{ kind: 'user-client calls', name: 'NullDriver', count: 2 }]);
});

test('refusals are kept, newest last, at most a hundred', () => {
  const activity = new IOHostActivity();
  for (let i = 0; i < 120; i++) activity.refused(`open ${i}`, 'lacks com.example.key');
  const { refusals } = fromOSObject(activity.toDictionary()) as { refusals: Array<{ what: string }> };
  expect(refusals).toHaveLength(100);
  expect(refusals[0]!.what).toBe('open 20');
  expect(refusals[99]!.what).toBe('open 119');
});
