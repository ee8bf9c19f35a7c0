/**
 * `@driverkit/driverkit`: Apple DriverKit's programming model for device drivers on Linux and
 * Node.js. This entry holds the core: the OS* object model, OSSerialization, property lists, the
 * kIOReturn error model, dispatch queues and sources, memory descriptors, the I/O registry,
 * IOService, matching, and the driver host with its driver processes.
 * @packageDocumentation
 */
export * from './IOReturn/IOReturn';
export { IOReturnError, isIOReturnError, ioReturnFromException, checkIOReturn, type IOReturnErrorOptions } from './IOReturn/IOReturnError';

export { OSObject, OSSafeReleaseNULL } from './os/OSObject';
export { OSContainer } from './os/OSContainer';
export { OSCollection } from './os/OSCollection';
export { OSArray } from './os/OSArray';
export { OSDictionary, type OSDictionaryKey } from './os/OSDictionary';
export { OSSet } from './os/OSSet';
export { OSNumber, kOSNumberDoubleBits, kOSNumberFloatBits, type OSNumberBits } from './os/OSNumber';
export { OSString } from './os/OSString';
export { OSSymbol } from './os/OSSymbol';
export { OSData } from './os/OSData';
export { OSBoolean, kOSBooleanTrue, kOSBooleanFalse } from './os/OSBoolean';
export { OSDynamicCast, OSRequiredCast } from './os/OSCast';
export { toOSObject, toOSDictionary, fromOSObject, type OSValue } from './os/OSValue';
export * from './os/IOFixed';

export { OSSerialization } from './serialization/OSSerialization';
export { OSSerializeBinary } from './serialization/OSSerializeBinary';
export { OSUnserializeBinary, type OSUnserializeBinaryOptions } from './serialization/OSUnserializeBinary';
export { dumpOSSerializeBinary } from './serialization/dumpOSSerializeBinary';
export * from './serialization/OSSerializeBinaryFormat';

export { OSUnserializeXML, OSSerializeXML, readPropertyListFile } from './plist/OSPropertyList';

export { formatIORegValue, formatIORegProperties } from './ioreg/formatIORegValue';

export {
  IODispatchQueue,
  kIODispatchQueueReentrant,
  kIODispatchQueueMethodsNotSynchronized,
  kIODispatchQueueSleepReuseEvent,
  kIODispatchQueueWakeupAll,
  type IODispatchBlock,
  type IODispatchQueueName,
} from './dispatch/IODispatchQueue';
export { QUEUENAME } from './dispatch/QUEUENAME';
export { OSAction, type OSActionMethod } from './dispatch/OSAction';
export * from './dispatch/IOClock';
export { IODispatchSource } from './dispatch/IODispatchSource';
export { IOTimerDispatchSource } from './dispatch/IOTimerDispatchSource';
export { IOSleep } from './dispatch/IOSleep';
export {
  IOInterruptDispatchSource,
  kIOInterruptTypeEdge,
  kIOInterruptTypeLevel,
  kIOInterruptSourceIndexMask,
  kIOInterruptSourceAbsoluteTime,
  kIOInterruptSourceContinuousTime,
  type IOInterruptLine,
  type IOInterruptProvider,
} from './dispatch/IOInterruptDispatchSource';
export { IOVirtualInterruptLine } from './dispatch/IOVirtualInterruptLine';
export { IOEventfdInterruptLine } from './dispatch/IOEventfdInterruptLine';
/** The core's Linux calls through koffi, for families whose devices need them (uhid, ptys). */
export * as LinuxNative from './native/LinuxNative';
export { processExists } from './native/processExists';

export * from './memory/IOMemoryDescriptor';
export { IOMemoryMap } from './memory/IOMemoryMap';
export { IOBufferMemoryDescriptor } from './memory/IOBufferMemoryDescriptor';
export {
  IODMACommand,
  kIODMACommandCompleteDMANoOptions,
  kIODMACommandCreateNoOptions,
  kIODMACommandMaxSegments,
  kIODMACommandPerformOperationOptionRead,
  kIODMACommandPerformOperationOptionWrite,
  kIODMACommandPerformOperationOptionZero,
  kIODMACommandPrepareForDMANoOptions,
  kIODMACommandSpecificationNoOptions,
  type IODMACommandSpecification,
  type IODMAPreparation,
} from './dma/IODMACommand';
export type { IODMADevice, IODMAMapper } from './dma/IODMAMapper';
export { IOPagemapDMAMapper } from './dma/IOPagemapDMAMapper';
export { IOSharedMemory, type IOSharedMemoryKind } from './memory/IOSharedMemory';
export {
  IODataQueueDispatchSource,
  type IODataQueueEnqueueBlock,
  type IODataQueueDequeueBlock,
} from './dispatch/IODataQueueDispatchSource';
export { IODataQueueBacklog } from './dispatch/IODataQueueBacklog';
export { IODataQueueRing, kIODataQueueHeaderSize, kIODataQueueEntryHeaderSize } from './dataqueue/IODataQueueRing';

export { IORegistryEntry, kIOServicePlane } from './registry/IORegistryEntry';
export { IORegistry, IORegistryRoot, type IORegistryJSON, type IORegistryListener } from './registry/IORegistry';
export {
  IOService,
  kIOServiceDefaultQueueName,
  kIOServiceSearchPropertyParents,
  kIOServicePowerCapabilityOff,
  kIOServiceBusyStateKey,
  kIOServicePowerCapabilityOn,
  publishedPowerState,
  kIOServicePowerCapabilityLow,
  kIOServicePMAssertionCPUBit,
  kIOServicePMAssertionForceFullWakeupBit,
  kIOPowerManagementKey,
  kIOPMAssertionsKey,
  type IOServiceRuntime,
  type IOServiceState,
  type IOStateNotificationPort,
} from './service/IOService';
export { IOResources } from './service/IOResources';
export { IOUserResources } from './service/IOUserResources';
export { IOPersonality, kIODefaultMatchCategory } from './matching/IOPersonality';
export { IODriverBundle } from './matching/IODriverBundle';
export type { IOMatchingFamily, IOFamilyMatchResult, IOMatchCheck } from './matching/IOMatchingFamily';
export {
  matchPersonality,
  rankCandidates,
  explainCandidates,
  familiesFor,
  kIOServiceDEXTEntitlementsKey,
  type IOMatchCandidate,
  type IOMatchingContext,
} from './matching/IOMatchingEngine';
export { IOServiceHost, type IOServiceHostOptions, type IOServiceHostEvent } from './host/IOServiceHost';
export { IOHostSlot } from './host/IOHostSlot';
export { IOTestBench, type IOTestBenchBackend } from './host/IOTestBench';
export { IODriverAccount, kIODriverAccountName, kIOUserServerRootReasonKey } from './host/IODriverAccount';
export { IOStateNotificationCenter, kIOStateNotificationEntitlementGetKey, kIOStateNotificationEntitlementSetKey, type IOStateNotificationCaller } from './host/IOStateNotificationCenter';
export { IOServiceStateNotificationDispatchSource } from './dispatch/IOServiceStateNotificationDispatchSource';
export type { IOUserServerHandle } from './host/IOUserServerHandle';
export { IOUserServiceProxy } from './host/IOUserServiceProxy';
export { type IOKernelService, type IOKernelServiceContext, type IOKernelClassFactory } from './host/IOKernelClass';
export { IOUserServerRuntime, type IODriverModule } from './server/IOUserServerRuntime';
export { IOProviderProxy } from './server/IOProviderProxy';
export { callerProcess, isRemoteCallTarget, isLinkedProvider, type IOProviderLink, type IORemoteCaller, type IORemoteCallTarget, type IOLinkedProvider } from './server/IORemoteProvider';
export { IORemoteArguments } from './server/IORemoteArguments';
export { runUserServer } from './server/IOUserServerMain';
export { IOMessageChannel, kIOMessageMaxFrame } from './ipc/IOMessageChannel';
export { IOHostSocket, defaultHostSocketPath, type IOHostSocketHandler } from './host/IOHostSocket';
export { IOHostConnection } from './host/IOHostConnection';
export { findFamilyPlugins, loadFamilyPlugin, findVirtualBench, loadVirtualBench, type IOFamilyPlugin, type IOFamilyPluginLocation } from './host/IOFamilyPlugins';
export { formatIORegTree, type IORegTreeOptions } from './ioreg/formatIORegTree';
export {
  IOServiceNotificationDispatchSource,
  kIOServiceNotificationTypeMatched,
  kIOServiceNotificationTypeTerminated,
  kIOServiceNotificationTypeNone,
  serviceMatchesDictionary,
  type IOServiceNotificationBlock,
} from './dispatch/IOServiceNotificationDispatchSource';
export { IOUserClient } from './userclient/IOUserClient';
export {
  kIOUserClientMethodArgumentsCurrentVersion,
  kIOUserClientVariableStructureSize,
  kIOUserClientScalarArrayCountMax,
  kIOUserClientAsyncReferenceCountMax,
  kIOUserClientAsyncArgumentsCountMax,
  kIOUserClientStructureInbandMax,
  kIOUserClientQueueNameExternalMethod,
  kIOUserClientMemoryReadOnly,
  type IOUserClientMethodArguments,
  type IOUserClientMethodDispatch,
  type IOUserClientMethodFunction,
} from './userclient/IOUserClientMethodArguments';
export { IOUserClientRouter, kIODriverKitAllowAnyUserClientAccess, kIODriverKitUserClientAccess } from './host/IOUserClientRouter';
export { IOClientPolicy, kIOClientPolicyDefaultPath, kIODriverKitAdministratorEntitlement } from './host/IOClientPolicy';
export type { IOClientIdentity } from './host/IOClientIdentity';
export * from './client/IOKitLib';
export * from './report/IOReportTypes';
export { IOReporter, type IOReportChannel } from './report/IOReporter';
export { IOSimpleReporter } from './report/IOSimpleReporter';
export { IOStateReporter } from './report/IOStateReporter';
export { IOHistogramReporter, type IOHistogramSegmentConfig } from './report/IOHistogramReporter';
export { IOReportLegend } from './report/IOReportLegend';
export { OSBundle } from './bundle/OSBundle';
export { IOPropertyHash, kIOPropertyHashTypeKey, kIOPropertySHA3256Key, kIOPropertySHA3384Key, kIOPropertySHA3512Key } from './bundle/IOPropertyHash';
export { OSMappedFile } from './bundle/OSMappedFile';
export { IOFree, IOMalloc, IOMallocZero, IONew, IOSafeDeleteNULL } from './memory/IOMalloc';
