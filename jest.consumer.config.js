/**
 * `npm run test:consumer`: packs the package and installs it into a fresh cdktf app (see
 * test/consumer/). Slow (a pack, a build and an install of the providers), so kept out of `npm test`.
 */
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  roots: ['<rootDir>/test/consumer'],
  testMatch: ['**/*.consumer.ts'],
  maxWorkers: 1,
};
