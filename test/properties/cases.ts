/**
 * Generated inputs with their own verdict: a valid value, then zero to two mutations that each break one rule and
 * say which field they broke. The verdict comes from how the input was built, never from the schema under test,
 * so the schema is checked against an independent oracle.
 */
import fc from 'fast-check';

/** Breaks one rule of the value in place and returns the path of the field it broke, as formatIssuePath spells it. */
export type Mutate<T> = (value: T) => string;

export interface Mutation<T> {
  rule: string;
  mutate: Mutate<T>;
}

export interface Case<T> {
  input: T;
  /** Empty: the input is valid. Otherwise one entry per mutation, with the field path it must be refused for. */
  broken: { rule: string; path: string }[];
}

/**
 * Strings over `chars`. Built from characters rather than fc.stringMatching, which costs milliseconds a value and
 * would turn 10,000 runs into minutes.
 */
export const over = (chars: string, minLength: number, maxLength: number) =>
  fc.array(fc.constantFrom(...chars), { minLength, maxLength }).map((list) => list.join(''));
export const DIGITS = '0123456789';
export const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** A third valid inputs, the rest with one or two broken rules. */
export function cases<T>(valid: fc.Arbitrary<T>, mutation: fc.Arbitrary<Mutation<T>>): fc.Arbitrary<Case<T>> {
  const mutations = fc.oneof(
    fc.constant([] as Mutation<T>[]),
    fc.array(mutation, { minLength: 1, maxLength: 1 }),
    fc.array(mutation, { minLength: 2, maxLength: 2 }),
  );
  return fc.tuple(valid, mutations).map(([value, chosen]) => {
    const input = structuredClone(value);
    return { input, broken: chosen.map(({ rule, mutate }) => ({ rule, path: mutate(input) })) };
  });
}

export function mutation<T, P>(rule: string, params: fc.Arbitrary<P>, mutate: (value: T, p: P) => string) {
  return params.map((p): Mutation<T> => ({ rule, mutate: (value) => mutate(value, p) }));
}

/** `devices[2].deviceIds[0].id` and `devices[2]` are related: one contains the other. */
export function related(a: string, b: string): boolean {
  if (a === '(root)' || b === '(root)') return a === b;
  return isWithin(a, b) || isWithin(b, a);
}

/**
 * The paths a formatZodError message names (`path: rule; path: rule`). Rules never contain `; ` followed by a path
 * and a colon in our messages, so splitting on it is safe for the schemas under test.
 */
export function namedPaths(message: string): string[] {
  return message
    .split('; ')
    .map((part) => /^([^:\s]+): /.exec(part)?.[1])
    .filter((path): path is string => path !== undefined);
}

/** `inner` is `outer` or a field within it: `deviceIds[0]` is within `deviceIds`. */
function isWithin(inner: string, outer: string): boolean {
  return inner === outer || inner.startsWith(`${outer}.`) || inner.startsWith(`${outer}[`);
}

/**
 * What a refusal must show: a broken rule is named by its path, or by a more precise one within it (a mutation
 * that replaces `deviceIds` with `[null]` is reported at `deviceIds[0]`); with two, zod may stop at the first
 * (object refinements run only on otherwise valid objects), so at least one is named and nothing unrelated is.
 */
export function refusalProblems(message: string, broken: Case<unknown>['broken']): string[] {
  const named = namedPaths(message);
  const problems: string[] = [];
  if (!broken.some(({ path }) => named.some((n) => isWithin(n, path)))) {
    problems.push(`names none of ${broken.map((b) => `${b.path} (${b.rule})`).join(', ')}`);
  }
  for (const path of named) {
    if (!broken.some((b) => related(path, b.path))) problems.push(`names unrelated field ${path}`);
  }
  return problems;
}

/** A case and what went wrong with it, short enough to read in a failure message. */
export function describeCase(c: Case<unknown>, outcome: string): string {
  return `${outcome}\n  broken: ${JSON.stringify(c.broken)}\n  input: ${JSON.stringify(c.input).slice(0, 1_500)}`;
}

/**
 * CI runs the same 10,000 cases every time, so a red build always reproduces; FC_SEED=random (or a number)
 * explores others locally, and a failure prints the seed to rerun it.
 */
export const seed = process.env.FC_SEED === 'random' ? Date.now() : Number(process.env.FC_SEED ?? 20_261_129);
