/**
 * The one way a process reads its settings from the environment: a zod schema whose keys are the variable names,
 * parsed once at start-up, so a bad value stops the process with `NAME: rule` (formatZodError) and never echoes
 * the value. src/webhook/config.ts was the model. scripts/check-compose.ts reads the defaults from these calls
 * (`NAME: intSetting(min, max, default)`), so keep the default the last argument.
 */
import { z } from 'zod';
import { formatZodError } from './thingspace/schemas/format.js';

export type Env = Record<string, string | undefined>;

/** Unset and empty both mean "use the default": compose files and CI often export empty variables. */
export const blankAsUnset = (value: unknown) => (value === '' ? undefined : value);

export function intSetting(min: number, max: number, fallback: number) {
  const error = `must be an integer from ${min} to ${max}`;
  return z.preprocess(
    blankAsUnset,
    z.coerce.number({ error }).int({ error }).min(min, { error }).max(max, { error }).default(fallback),
  );
}

export function positiveNumberSetting(fallback: number) {
  const error = 'must be a positive number';
  return z.preprocess(blankAsUnset, z.coerce.number({ error }).positive({ error }).default(fallback));
}

export function stringSetting(fallback: string) {
  return z.preprocess(blankAsUnset, z.string().default(fallback));
}

/** Unset or empty: undefined. */
export function optionalStringSetting() {
  return z.preprocess(blankAsUnset, z.string().optional());
}

/** On only when exactly `true`, as the variables documented as `NAME=true` always were. */
export function flagSetting() {
  return z
    .string()
    .optional()
    .transform((value) => value === 'true');
}

/** Parses `env` against `schema`; a failure throws `makeError('<what>: NAME: rule; …')`. */
export function readSettings<S extends z.ZodType>(
  schema: S,
  env: Env,
  what: string,
  makeError: (message: string) => Error = (message) => new Error(message),
): z.output<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) throw makeError(`invalid ${what}: ${formatZodError(parsed.error, 20)}`);
  return parsed.data;
}
