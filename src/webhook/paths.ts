/** The webhook's callback paths, shared with `register-callbacks` so the registered URLs always match the routes. */
export const SERVICE_PATHS = {
  CarrierService: '/callbacks/carrier-service',
  NiddService: '/callbacks/nidd-service',
} as const;

export type WebhookService = keyof typeof SERVICE_PATHS;

/** Accepts either service: tells them apart by body. */
export const ANY_SERVICE_PATH = '/callbacks';
