/**
 * `npm run test:cluster`: the tests in test/cluster, which start their own Temporal cluster on PostgreSQL
 * (src/cluster) instead of the dev server of the other suites, so no global set-up. One file at a time: a cluster
 * takes the whole machine.
 * @type {import('jest').Config}
 */
import base from './jest.config.js';

export default {
  ...base,
  roots: ['<rootDir>/test/cluster'],
  testPathIgnorePatterns: ['/node_modules/'],
  globalSetup: undefined,
  globalTeardown: undefined,
  testTimeout: 600_000,
  maxWorkers: 1,
};
