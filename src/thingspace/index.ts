/** Node-side entry point (got). Workflow code must import `./schemas/index.js` instead. */
export * from './client.js';
export * from './config.js';
export * from './errors.js';
export type { ThingSpaceLogger } from './auth/context.js';
export * from './schemas/index.js';
export {
  InProcessLoginGuard,
  LOGIN_BLOCKED_RETRY_MS,
  type LoginGuard,
  type LoginGuardView,
  type LoginOutcome,
  type LoginPermit,
} from './auth/login-guard.js';
