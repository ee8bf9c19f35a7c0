module.exports = { ...require('../../jest.preset.cjs'), testTimeout: 240_000 };
