/** ThingSpace's own pace, the floor no client can beat: the bench sets every big case's wall time beside it. */
import type { ApiLimits } from './stack.js';

/**
 * The activate requests `devices` need (up to `maxDevicesPerActivate` each) and the time the account's rate limit
 * lets them take: 1,000,000 devices at 10,000 a request and 100 requests a minute are 100 requests, 60 s.
 */
export function apiFloor(devices: number, limits: ApiLimits): { requests: number; seconds: number } {
  const requests = Math.ceil(devices / limits.maxDevicesPerActivate);
  const { max, windowMs } = limits.activateRateLimit;
  return { requests, seconds: (requests / max) * (windowMs / 1000) };
}
