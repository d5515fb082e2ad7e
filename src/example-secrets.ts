/**
 * The placeholder secrets shipped with the deployment (deploy/secrets.example/, .env.example) all begin with
 * `change-me`. A process given one refuses to start: a copied example is a password everyone who read this
 * repository knows. deploy/temporal/setup-postgres.sh applies the same rule to the database password.
 */
export const EXAMPLE_SECRET_PREFIX = 'change-me';

export function isExampleSecret(value: string): boolean {
  return value.trim().toLowerCase().startsWith(EXAMPLE_SECRET_PREFIX);
}

/** The problem to report for a setting holding an example value; names the setting, never the value. */
export const exampleSecretProblem = (setting: string) =>
  `${setting}: is the shipped example value (it begins with "${EXAMPLE_SECRET_PREFIX}"); choose your own`;
