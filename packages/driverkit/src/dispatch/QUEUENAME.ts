import { IODispatchQueue, queueOf } from './IODispatchQueue';
import type { OSObject } from '../os/OSObject';

/** The queue name a method was declared with, read by OSAction to run the method where it belongs. @internal */
export const kQueueName = Symbol('driverkit.QUEUENAME');

type Method = (this: OSObject, ...args: never[]) => unknown;

/**
 * Mirrors IIG's `QUEUENAME(name)`: the decorated method always runs on its object's queue bound to
 * `name` (see `OSObject.SetDispatchQueue`). Called from that queue, it runs inline; called from
 * anywhere else, it is dispatched there, and the call returns a promise of its result.
 *
 * ```ts
 * class MyDriver extends IOService {
 *   @QUEUENAME('InterruptQueue')
 *   async InterruptOccurred(action: OSAction, count: bigint, time: bigint) { … }
 * }
 * ```
 */
export function QUEUENAME(name: string) {
  return function <M extends Method>(method: M, context: ClassMethodDecoratorContext): M {
    if (context.kind !== 'method') throw new TypeError('QUEUENAME decorates methods');
    const wrapped = function (this: OSObject, ...args: Parameters<M>): unknown {
      const queue = queueOf(this, name);
      if (queue.OnQueue()) return method.apply(this, args);
      return queue.DispatchSync(() => method.apply(this, args));
    };
    Object.defineProperty(wrapped, kQueueName, { value: name });
    Object.defineProperty(wrapped, 'raw', { value: method });
    Object.defineProperty(wrapped, 'name', { value: method.name });
    return wrapped as unknown as M;
  };
}

/** The queue a method runs on for `target`: its QUEUENAME queue, or the Default queue. @internal */
export function queueForMethod(target: OSObject, method: unknown): IODispatchQueue {
  const name = typeof method === 'function' ? (method as unknown as Record<symbol, string | undefined>)[kQueueName] : undefined;
  return queueOf(target, name ?? 'Default');
}
