// The keys the driver, its user client and the client app share (SimpleAudioDriverKeys.h).

/** The custom property's selector and its qualifier/data pairs. */
export const kSimpleAudioDriverCustomPropertySelector = 0x66747374; // 'ftst'
export const kSimpleAudioDriverCustomPropertyQualifier0 = 'Qualifier-0';
export const kSimpleAudioDriverCustomPropertyDataValue0 = 'Data-Value-0';
export const kSimpleAudioDriverCustomPropertyQualifier1 = 'Qualifier-1';
export const kSimpleAudioDriverCustomPropertyDataValue1 = 'Data-Value-1';

/** The configuration change the user client requests: toggle the sample rate. */
export const k_custom_config_change_action = 1n;

/** The user client's methods. */
export const SimpleAudioDriverExternalMethod = {
  Open: 0,
  Close: 1,
  TestConfigChange: 2,
  ToggleDataSource: 3,
} as const;
