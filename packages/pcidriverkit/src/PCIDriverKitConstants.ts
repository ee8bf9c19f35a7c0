// PCIDriverKit's constants, with Apple's names (PCIDriverKit/IOPCIDevice.iig, IOPCIFamilyDefinitions.h),
// so a port's register arithmetic reads as the original's.

/** Mirrors `kIOPCIConfigurationOffset…`: the type-0 header's registers. */
export const kIOPCIConfigurationOffsetVendorID = 0x00;
export const kIOPCIConfigurationOffsetDeviceID = 0x02;
export const kIOPCIConfigurationOffsetCommand = 0x04;
export const kIOPCIConfigurationOffsetStatus = 0x06;
export const kIOPCIConfigurationOffsetRevisionID = 0x08;
export const kIOPCIConfigurationOffsetClassCode = 0x09;
export const kIOPCIConfigurationOffsetCacheLineSize = 0x0c;
export const kIOPCIConfigurationOffsetLatencyTimer = 0x0d;
export const kIOPCIConfigurationOffsetHeaderType = 0x0e;
export const kIOPCIConfigurationOffsetBIST = 0x0f;
export const kIOPCIConfigurationOffsetBaseAddress0 = 0x10;
export const kIOPCIConfigurationOffsetBaseAddress1 = 0x14;
export const kIOPCIConfigurationOffsetBaseAddress2 = 0x18;
export const kIOPCIConfigurationOffsetBaseAddress3 = 0x1c;
export const kIOPCIConfigurationOffsetBaseAddress4 = 0x20;
export const kIOPCIConfigurationOffsetBaseAddress5 = 0x24;
export const kIOPCIConfigurationOffsetCardBusCISPtr = 0x28;
export const kIOPCIConfigurationOffsetSubSystemVendorID = 0x2c;
export const kIOPCIConfigurationOffsetSubSystemID = 0x2e;
export const kIOPCIConfigurationOffsetExpansionROMBase = 0x30;
export const kIOPCIConfigurationOffsetCapabilitiesPtr = 0x34;
export const kIOPCIConfigurationOffsetInterruptLine = 0x3c;
export const kIOPCIConfigurationOffsetInterruptPin = 0x3d;
export const kIOPCIConfigurationOffsetMinimumGrant = 0x3e;
export const kIOPCIConfigurationOffsetMaximumLatency = 0x3f;

/** Mirrors `kIOPCICommand…`: bits of the command register. BusLead is Apple's name for bus master. */
export const kIOPCICommandIOSpace = 0x0001;
export const kIOPCICommandMemorySpace = 0x0002;
export const kIOPCICommandBusLead = 0x0004;
export const kIOPCICommandSpecialCycles = 0x0008;
export const kIOPCICommandMemWrInvalidate = 0x0010;
export const kIOPCICommandPaletteSnoop = 0x0020;
export const kIOPCICommandParityError = 0x0040;
export const kIOPCICommandAddressStepping = 0x0080;
export const kIOPCICommandSERR = 0x0100;
export const kIOPCICommandFastBack2Back = 0x0200;
export const kIOPCICommandInterruptDisable = 0x0400;

/** Mirrors `kIOPCIStatus…`: bits of the status register. */
export const kIOPCIStatusInterrupt = 0x0008;
export const kIOPCIStatusCapabilities = 0x0010;
export const kIOPCIStatusPCI66 = 0x0020;
export const kIOPCIStatusUDF = 0x0040;
export const kIOPCIStatusFastBack2Back = 0x0080;
export const kIOPCIStatusDataParity = 0x0100;
export const kIOPCIStatusDevSel0 = 0x0000;
export const kIOPCIStatusDevSel1 = 0x0200;
export const kIOPCIStatusDevSel2 = 0x0400;
export const kIOPCIStatusDevSelMask = 0x0600;
export const kIOPCIStatusTargetAbortCapable = 0x0800;
export const kIOPCIStatusTargetAbortActive = 0x1000;
export const kIOPCIStatusMasterAbortActive = 0x2000;
export const kIOPCIStatusSERRActive = 0x4000;
export const kIOPCIStatusParityErrActive = 0x8000;

/** Mirrors `kIOPCI…CapabilityID`: standard capability IDs. */
export const kIOPCIPowerManagementCapability = 0x01;
export const kIOPCIAGPCapability = 0x02;
export const kIOPCIVitalProductDataCapability = 0x03;
export const kIOPCISlotIDCapability = 0x04;
export const kIOPCIMSICapability = 0x05;
export const kIOPCICPCIHotswapCapability = 0x06;
export const kIOPCIPCIXCapability = 0x07;
export const kIOPCIHyperTransportCapability = 0x08;
export const kIOPCIVendorSpecificCapability = 0x09;
export const kIOPCIDebugPortCapability = 0x0a;
export const kIOPCICPCIResourceControlCapability = 0x0b;
export const kIOPCIHotplugCapability = 0x0c;
export const kIOPCIAGP8Capability = 0x0e;
export const kIOPCIBridgeSubsystemVendorIDCapability = 0x0d;
export const kIOPCISecureCapability = 0x0f;
export const kIOPCIPCIExpressCapability = 0x10;
export const kIOPCIMSIXCapability = 0x11;
export const kIOPCIFPBCapability = 0x15;

/**
 * Mirrors `kIOPCIExpressCapabilityID…`: extended capability IDs. Apple's `FindPCICapability` takes
 * them negated (`-kIOPCIExpressVendorSpecificCapability`, as PEX8733 passes -0xB): a negative ID
 * searches the extended list at 0x100 and up.
 */
export const kIOPCIExpressErrorReportingCapability = 0x01;
export const kIOPCIExpressVirtualChannelCapability = 0x02;
export const kIOPCIExpressDeviceSerialNumberCapability = 0x03;
export const kIOPCIExpressPowerBudgetCapability = 0x04;
export const kIOPCIExpressVendorSpecificCapability = 0x0b;
export const kIOPCIExpressACSCapability = 0x0d;
export const kIOPCIExpressARICapability = 0x0e;
export const kIOPCIExpressATSCapability = 0x0f;
export const kIOPCIExpressSRIOVCapability = 0x10;
export const kIOPCIExpressResizableBARCapability = 0x15;
export const kIOPCIExpressLTRCapability = 0x18;
export const kIOPCIExpressL1PMSubstatesCapability = 0x1e;

/** Mirrors `kPCIMemoryRangeBAR0…5` and `kPCIMemoryRangeExpansionROM`: memory indexes for MemoryRead/Write. */
export const kPCIMemoryRangeBAR0 = 0;
export const kPCIMemoryRangeBAR1 = 1;
export const kPCIMemoryRangeBAR2 = 2;
export const kPCIMemoryRangeBAR3 = 3;
export const kPCIMemoryRangeBAR4 = 4;
export const kPCIMemoryRangeBAR5 = 5;
export const kPCIMemoryRangeExpansionROM = 6;

/** Mirrors `IOPCIBARType`, what `GetBARInfo` reports. */
export const kPCIBARTypeM32 = 0;
export const kPCIBARTypeIO = 1;
export const kPCIBARTypeM64 = 4;
export const kPCIBARTypeM32PF = 8;
export const kPCIBARTypeM64PF = 0xc;

/** Mirrors the interrupt types `ConfigureInterrupts` takes (IOInterrupts.h). */
export const kIOInterruptTypeLevel = 1;
export const kIOInterruptTypePCIMessaged = 0x00010000;
export const kIOInterruptTypePCIMessagedX = 0x00020000;

/** Mirrors `kIOPCIDeviceReset…`: the kinds of `Reset`. */
export const kIOPCIDeviceResetTypeHotReset = 0x01;
export const kIOPCIDeviceResetTypeWarmReset = 0x02;
export const kIOPCIDeviceResetTypeWarmResetDisable = 0x04;
export const kIOPCIDeviceResetTypeWarmResetEnable = 0x08;
export const kIOPCIDeviceResetTypeFunctionReset = 0x10;
export const kIOPCIDeviceResetOptionNone = 0;
export const kIOPCIDeviceResetOptionTerminate = 1;

/** Mirrors the power states `HasPCIPowerManagement` / `EnablePCIPowerManagement` take. */
export const kPCIPMCPMESupportFromD3Cold = 0x8000;
export const kPCIPMCPMESupportFromD3Hot = 0x4000;
export const kPCIPMCPMESupportFromD2 = 0x2000;
export const kPCIPMCPMESupportFromD1 = 0x1000;
export const kPCIPMCPMESupportFromD0 = 0x0800;
export const kPCIPMCD2Support = 0x0400;
export const kPCIPMCD1Support = 0x0200;
export const kPCIPMCD3Support = 0x0001;
export const kPCIPMCSPMEStatus = 0x8000;
export const kPCIPMCSPMEEnable = 0x0100;
export const kPCIPMCSPowerStateMask = 0x0003;
export const kPCIPMCSPowerStateD0 = 0x0000;
export const kPCIPMCSPowerStateD1 = 0x0001;
export const kPCIPMCSPowerStateD2 = 0x0002;
export const kPCIPMCSPowerStateD3 = 0x0003;

/** The access-option bits of MemoryRead/Write (Apple's `kIOPCIAccess…`). */
export const kIOPCIAccessLatencyTolerantHint = 1 << 0;

/** What a read of an absent device, or one that failed, returns: all ones, as a master abort does. */
export const kPCIAllOnes8 = 0xff;
export const kPCIAllOnes16 = 0xffff;
export const kPCIAllOnes32 = 0xffffffff;
export const kPCIAllOnes64 = 0xffffffffffffffffn;

/** The entitlement a driver needs to match a PCI device, with its matching dictionaries. */
export const kIOPCITransportEntitlement = 'com.apple.developer.driverkit.transport.pci';
