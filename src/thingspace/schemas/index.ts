/**
 * Wire schemas of the ThingSpace M2M API: the single source of truth for the types the client, the simulator,
 * the webhook and the workflows share. Pure zod and plain functions: safe to import from workflow code.
 */
export * from './common.js';
export * from './auth.js';
export * from './devices.js';
export * from './activate.js';
export * from './history.js';
export * from './callbacks.js';
export * from './callback-registration.js';
export * from './error-bodies.js';
export * from './device-key.js';
export * from './format.js';
