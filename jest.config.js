/**
 * Jest in native ESM mode (the project is ESM because got is ESM-only). swc strips types; `npm run typecheck`
 * does the type checking. One Temporal dev server serves the whole run (see test/harness/global-setup.ts).
 * @type {import('jest').Config}
 */
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The fault suite kills processes and takes minutes: `npm run test:faults` runs it on its own, as
  // `npm run test:scale` runs the jobs of 25,000 and 100,000 devices. The cluster suite starts its own Temporal
  // cluster: `npm run test:cluster` (jest.cluster.config.js) runs it.
  testPathIgnorePatterns: [
    '/node_modules/',
    '/test/cluster/',
    ...(process.env.FAULT_SUITE ? [] : ['/test/faults/']),
    ...(process.env.SCALE_SUITE ? [] : ['/test/scale/']),
  ],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' } },
    ],
  },
  globalSetup: '<rootDir>/test/harness/global-setup.js',
  globalTeardown: '<rootDir>/test/harness/global-teardown.js',
  testTimeout: 60_000,
  // Each test file runs real workers; two at a time fits this 2-core machine.
  maxWorkers: 2,
};
