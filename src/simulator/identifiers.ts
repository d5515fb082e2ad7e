import { luhnCheckDigit } from '../thingspace/schemas/luhn.js';
import { digits, type Random } from './rng.js';

const pad = (n: number, width: number) => n.toString().padStart(width, '0');

/**
 * 15 digits, the last a Luhn check digit (clients that validate IMEIs must accept ours): a fixed TAC-like prefix, a
 * per-seed block and a serial, so ids are unique for up to 10^7 devices.
 */
export function imei(prefix: string, serial: number): string {
  const body = `35${prefix.slice(0, 5)}${pad(serial, 7)}`;
  return body + luhnCheckDigit(body);
}

/** 20 digits: 89 (telecom) 1 (US) 480 (Verizon-like issuer), then serial, then the check digit. */
export function iccid(prefix: string, serial: number): string {
  const body = `891480${prefix.slice(0, 5)}${pad(serial, 8)}`;
  return body + luhnCheckDigit(body);
}

/** 32 digits, as in the seed's NIDD example. */
export function eid(prefix: string, serial: number): string {
  return `8904903200${prefix.slice(0, 5)}${pad(serial, 17)}`;
}

export interface LineNumbers {
  mdn: string;
  msisdn: string;
  imsi: string;
  min: string;
}

/** Numbers ThingSpace assigns on activation. */
export function lineNumbers(random: Random): LineNumbers {
  const mdn = `${2 + Math.floor(random() * 8)}${digits(random, 9)}`;
  return {
    mdn,
    msisdn: `1${mdn}`,
    imsi: `311480${digits(random, 9)}`,
    min: `${2 + Math.floor(random() * 8)}${digits(random, 9)}`,
  };
}

export function ipAddress(random: Random): string {
  const octet = () => Math.floor(random() * 254) + 1;
  return `10.${octet()}.${octet()}.${octet()}`;
}
