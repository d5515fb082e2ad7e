/** IMEIs (15 digits) and ICCIDs (19–20 digits) end in a Luhn check digit (ITU-T E.118, 3GPP TS 23.003). */
export function luhnCheckDigit(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return ((10 - (sum % 10)) % 10).toString();
}

/** Whether a string of digits ends in the Luhn check digit of the digits before it. */
export function hasLuhnCheckDigit(id: string): boolean {
  return id.length >= 2 && luhnCheckDigit(id.slice(0, -1)) === id[id.length - 1];
}

/** Identifier kinds whose last digit is a Luhn check digit, lower-case. */
export const LUHN_KINDS: ReadonlySet<string> = new Set(['imei', 'iccid']);
