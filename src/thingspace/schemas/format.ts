import type { z } from 'zod';

/**
 * The one place zod issue paths become text. `formatIssuePath` is for people (messages); `dottedIssuePath` is the
 * key form (`devices.3.deviceIds.0.id`): ThingSpace's own error messages (the simulator copies them), the
 * client's `InvalidJobRequestError.issues[].path`, and lookups keyed by field path.
 */

/** `['devices', 3, 'deviceIds', 0, 'id']` → `devices[3].deviceIds[0].id`. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out === '' ? '(root)' : out;
}

/** `['devices', 3, 'deviceIds', 0, 'id']` → `devices.3.deviceIds.0.id`; the root is `''`. */
export function dottedIssuePath(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}

/** zod's generic wording made to name the rule; our own messages already do. Never echoes the input value. */
function ruleText(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) return 'is required';
  if (issue.code === 'invalid_type') return `must be ${issue.expected === 'array' ? 'an' : 'a'} ${issue.expected}`;
  if (issue.code === 'unrecognized_keys')
    return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
  return issue.message;
}

/** One issue as `path: rule`. */
export function formatIssue(issue: z.core.$ZodIssue): string {
  return `${formatIssuePath(issue.path)}: ${ruleText(issue)}`;
}

/**
 * All issues as `path: rule; path: rule`, capped so a 10,000-device request with a systematic mistake still gives
 * a readable message. Input values are never included, so secrets in the input cannot leak through it.
 */
export function formatZodError(error: z.ZodError, maxIssues = 10): string {
  const shown = error.issues.slice(0, maxIssues).map(formatIssue);
  const hidden = error.issues.length - shown.length;
  return hidden > 0 ? `${shown.join('; ')}; … and ${hidden} more` : shown.join('; ');
}
