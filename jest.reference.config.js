/**
 * `npm run test:reference`: checks against reference files kept outside the repository (see
 * test/reference/reference-files.ts). Kept out of `npm test`, which needs nothing beside the clone.
 */
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  roots: ['<rootDir>/test/reference'],
  testMatch: ['**/*.reference.ts'],
};
