import type { IODispatchQueue, IOService } from '@driverkit/driverkit';
import type { IOUserNetworkPacketBufferPool } from './IOUserNetworkPacketBufferPool';
import { IOUserNetworkPacketQueue } from './IOUserNetworkPacketQueue';

/** Mirrors `IOUserNetworkTxSubmissionQueue`: frames the stack asks the driver to send. */
export class IOUserNetworkTxSubmissionQueue extends IOUserNetworkPacketQueue {
  readonly queueType = 'TxSubmission' as const;

  /** Mirrors `IOUserNetworkTxSubmissionQueue::Create(pool, owner, capacity, queueId, dispatchQueue, &queue)`. */
  static Create(pool: IOUserNetworkPacketBufferPool, _owner: IOService | null, capacity: number, queueId: number, dispatchQueue: IODispatchQueue): IOUserNetworkTxSubmissionQueue {
    return new IOUserNetworkTxSubmissionQueue(pool, capacity, queueId, IOUserNetworkPacketQueue.createSource(capacity, dispatchQueue, 'IOUserNetworkTxSubmissionQueue'));
  }
}
