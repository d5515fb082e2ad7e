export { createWebhook, type Webhook, type WebhookOptions } from './server.js';
export {
  webhookSettingsFromEnv,
  callbackCredentialsFromEnv,
  WebhookConfigError,
  type WebhookSettings,
  type CallbackCredentials,
} from './config.js';
export { toCallbackRecord } from './to-record.js';
export { CALLBACK_ROUTES } from './routes.js';
export { temporalSignalTarget, type SignalTarget, type SendResult } from './temporal-target.js';
export { SignalBatcher, DeliveryError, type Delivery, type DeliveryFailure } from './batcher.js';
export { SERVICE_PATHS, ANY_SERVICE_PATH, type WebhookService } from './paths.js';
