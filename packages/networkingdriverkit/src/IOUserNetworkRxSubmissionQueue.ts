import type { IODispatchQueue, IOService } from '@driverkit/driverkit';
import type { IOUserNetworkPacketBufferPool } from './IOUserNetworkPacketBufferPool';
import { IOUserNetworkPacketQueue } from './IOUserNetworkPacketQueue';

/** Mirrors `IOUserNetworkRxSubmissionQueue`: the stack's empty packets for the driver to fill with received frames. */
export class IOUserNetworkRxSubmissionQueue extends IOUserNetworkPacketQueue {
  readonly queueType = 'RxSubmission' as const;

  /** Mirrors `IOUserNetworkRxSubmissionQueue::Create(pool, owner, capacity, queueId, dispatchQueue, &queue)`. */
  static Create(pool: IOUserNetworkPacketBufferPool, _owner: IOService | null, capacity: number, queueId: number, dispatchQueue: IODispatchQueue): IOUserNetworkRxSubmissionQueue {
    return new IOUserNetworkRxSubmissionQueue(pool, capacity, queueId, IOUserNetworkPacketQueue.createSource(capacity, dispatchQueue, 'IOUserNetworkRxSubmissionQueue'));
  }
}
