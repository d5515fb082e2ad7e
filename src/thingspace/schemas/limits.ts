/** ThingSpace's cap on devices in one activate request (the seed contract). */
export const MAX_DEVICES_PER_ACTIVATE = 10_000;
