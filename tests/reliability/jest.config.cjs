module.exports = { ...require('../../jest.preset.cjs'), moduleFileExtensions: ['ts', 'js', 'cjs', 'json'] };
