// The records of the input-report queue a driver process makes for a HID device that lives in the
// host: one byte of kind, then the kind's bytes. The host writes, the driver process reads.

/** An input report: the report's bytes follow. */
export const kHIDRecordReport = 0;
/** The device went (unplugged, or its backend closed it): nothing follows. */
export const kHIDRecordGone = 1;
/** Reports the host could not queue because the driver did not read in time: a u32 count follows. */
export const kHIDRecordDropped = 2;

/** The queue's bytes: many reports of the largest size a HID device sends. */
export const kHIDReportQueueBytes = 256 << 10;
