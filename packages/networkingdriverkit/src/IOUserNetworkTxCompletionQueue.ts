import type { IODispatchQueue, IOService } from '@driverkit/driverkit';
import type { IOUserNetworkPacketBufferPool } from './IOUserNetworkPacketBufferPool';
import { IOUserNetworkPacketQueue } from './IOUserNetworkPacketQueue';

/** Mirrors `IOUserNetworkTxCompletionQueue`: sent packets the driver gives back to the stack. */
export class IOUserNetworkTxCompletionQueue extends IOUserNetworkPacketQueue {
  readonly queueType = 'TxCompletion' as const;

  /** Mirrors `IOUserNetworkTxCompletionQueue::Create(pool, owner, capacity, queueId, dispatchQueue, &queue)`. */
  static Create(pool: IOUserNetworkPacketBufferPool, _owner: IOService | null, capacity: number, queueId: number, dispatchQueue: IODispatchQueue): IOUserNetworkTxCompletionQueue {
    return new IOUserNetworkTxCompletionQueue(pool, capacity, queueId, IOUserNetworkPacketQueue.createSource(capacity, dispatchQueue, 'IOUserNetworkTxCompletionQueue'));
  }
}
