import { IOService } from '@driverkit/driverkit';
import { IOUserUSBSerial } from './IOUserUSBSerial';

test('TxDataAvailable is final, as Apple declares it: a subclass that overrides it is refused at Start, naming why', async () => {
  class OwnSender extends IOUserUSBSerial {
    override async TxDataAvailable(): Promise<void> {}
  }
  const driver = new OwnSender();
  driver.setName('OwnSender');
  await expect(driver.Start(new IOService())).rejects.toThrow(/OwnSender: TxDataAvailable is final in IOUserUSBSerial/);
});
