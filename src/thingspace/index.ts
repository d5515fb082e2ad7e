/** Node-side entry point (got). Workflow code must import `./schemas/index.js` instead. */
export * from './client.js';
export * from './config.js';
export * from './errors.js';
export type { ThingSpaceLogger } from './auth/context.js';
export * from './schemas/index.js';
