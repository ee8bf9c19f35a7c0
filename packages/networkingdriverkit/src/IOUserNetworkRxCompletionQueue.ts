import type { IODispatchQueue, IOService } from '@driverkit/driverkit';
import type { IOUserNetworkPacketBufferPool } from './IOUserNetworkPacketBufferPool';
import { IOUserNetworkPacketQueue } from './IOUserNetworkPacketQueue';

/** Mirrors `IOUserNetworkRxCompletionQueue`: received frames the driver hands to the stack. */
export class IOUserNetworkRxCompletionQueue extends IOUserNetworkPacketQueue {
  readonly queueType = 'RxCompletion' as const;

  /** Mirrors `IOUserNetworkRxCompletionQueue::Create(pool, owner, capacity, queueId, dispatchQueue, &queue)`. */
  static Create(pool: IOUserNetworkPacketBufferPool, _owner: IOService | null, capacity: number, queueId: number, dispatchQueue: IODispatchQueue): IOUserNetworkRxCompletionQueue {
    return new IOUserNetworkRxCompletionQueue(pool, capacity, queueId, IOUserNetworkPacketQueue.createSource(capacity, dispatchQueue, 'IOUserNetworkRxCompletionQueue'));
  }
}
