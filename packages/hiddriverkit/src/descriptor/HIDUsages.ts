/** HID usage pages and usages the event drivers read (HID Usage Tables 1.4), with Apple's names. */
export const kHIDPage_GenericDesktop = 0x01;
export const kHIDPage_KeyboardOrKeypad = 0x07;
export const kHIDPage_LEDs = 0x08;
export const kHIDPage_Button = 0x09;
export const kHIDPage_Consumer = 0x0c;
export const kHIDPage_Digitizer = 0x0d;

export const kHIDUsage_GD_Pointer = 0x01;
export const kHIDUsage_GD_Mouse = 0x02;
export const kHIDUsage_GD_Keyboard = 0x06;
export const kHIDUsage_GD_X = 0x30;
export const kHIDUsage_GD_Y = 0x31;
export const kHIDUsage_GD_Z = 0x32;
export const kHIDUsage_GD_Joystick = 0x04;
export const kHIDUsage_GD_GamePad = 0x05;
export const kHIDUsage_GD_Rx = 0x33;
export const kHIDUsage_GD_Ry = 0x34;
export const kHIDUsage_GD_Rz = 0x35;
export const kHIDUsage_GD_Hatswitch = 0x39;
export const kHIDUsage_GD_DPadUp = 0x90;
export const kHIDUsage_GD_DPadDown = 0x91;
export const kHIDUsage_GD_DPadRight = 0x92;
export const kHIDUsage_GD_DPadLeft = 0x93;
export const kHIDUsage_GD_Wheel = 0x38;

export const kHIDUsage_KeyboardErrorRollOver = 0x01;
export const kHIDUsage_KeyboardA = 0x04;
export const kHIDUsage_KeyboardLeftControl = 0xe0;
export const kHIDUsage_KeyboardRightGUI = 0xe7;

export const kHIDUsage_Csmr_ACPan = 0x238;

export const kHIDUsage_Dig_Digitizer = 0x01;
export const kHIDUsage_Dig_Pen = 0x02;
export const kHIDUsage_Dig_TouchScreen = 0x04;
export const kHIDUsage_Dig_TouchPad = 0x05;
export const kHIDUsage_Dig_Stylus = 0x20;
export const kHIDUsage_Dig_Puck = 0x21;
export const kHIDUsage_Dig_Finger = 0x22;
export const kHIDUsage_Dig_TipPressure = 0x30;
export const kHIDUsage_Dig_BarrelPressure = 0x31;
export const kHIDUsage_Dig_InRange = 0x32;
export const kHIDUsage_Dig_Touch = 0x33;
export const kHIDUsage_Dig_Invert = 0x3c;
export const kHIDUsage_Dig_XTilt = 0x3d;
export const kHIDUsage_Dig_YTilt = 0x3e;
export const kHIDUsage_Dig_Twist = 0x41;
export const kHIDUsage_Dig_TipSwitch = 0x42;
export const kHIDUsage_Dig_BarrelSwitch = 0x44;
export const kHIDUsage_Dig_Eraser = 0x45;
export const kHIDUsage_Dig_Width = 0x48;
export const kHIDUsage_Dig_Height = 0x49;
export const kHIDUsage_Dig_ContactIdentifier = 0x51;
