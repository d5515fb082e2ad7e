// The workflow bundle's entry point: every workflow the worker runs is exported here.
export { activationJob } from './job.js';
export { activationRequest } from './request.js';
export { callbackInbox } from './inbox.js';
export { accountDevices } from './account-devices.js';
export { loginGuard } from './login-guard.js';
