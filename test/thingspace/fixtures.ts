import { readFileSync } from 'node:fs';

/** Seed examples (missing commas mended), loaded fresh for each call so tests may mutate them. */
export function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;
}
