/**
 * Reads the devices of a job from a CSV or JSON file. Every problem is reported with its line (and column for
 * CSV) and the rule broken, all at once, so a file is fixed in one pass; a file with any problem yields no devices.
 */
import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import type { z } from 'zod';
import type { JobRequestInput } from '../activation/job.js';
import { DEVICE_ID_KINDS } from '../thingspace/schemas/common.js';
import { formatIssuePath } from '../thingspace/schemas/format.js';

export type JobDeviceInput = NonNullable<JobRequestInput['devices']>[number];

/** `line` and `column` for CSV; JSON problems name the item's path in the message instead. */
export interface Problem {
  line?: number;
  column?: string;
  message: string;
}

function describe(p: Problem): string {
  const where = [p.line !== undefined && `line ${p.line}`, p.column && `column ${p.column}`].filter(Boolean).join(', ');
  return where ? `${where}: ${p.message}` : p.message;
}

export class DeviceFileError extends Error {
  override name = 'DeviceFileError';
  constructor(
    readonly file: string,
    readonly problems: Problem[],
  ) {
    super(
      `${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}, nothing was started:\n` +
        problems
          .slice(0, 50)
          .map((p) => `  ${describe(p)}`)
          .join('\n') +
        (problems.length > 50 ? `\n  … and ${problems.length - 50} more` : ''),
    );
  }
}

/** Where a device came from, to point problems found later (duplicates across rows) at their line. */
export interface DeviceSource {
  line?: number;
  /** The CSV line; absent for JSON. The CSV column of each deviceIds entry, in order. */
  idColumns: string[];
}

/** The devices as read, and the problems of the file's format; the devices' rules are checked with the job's. */
export interface DeviceFile {
  devices: JobDeviceInput[];
  sources: DeviceSource[];
  problems: Problem[];
}

const KINDS = new Set<string>(DEVICE_ID_KINDS);
const IP_COLUMNS = new Set(['ipaddress', 'ip_address', 'ip']);
const NBIOT_COLUMNS = new Set(['nbiot', 'nb_iot', 'nb-iot']);
const TRUE = new Set(['true', 'yes', 'y', '1']);
const FALSE = new Set(['false', 'no', 'n', '0', '']);

export async function readDeviceFile(file: string): Promise<DeviceFile> {
  const text = await readFile(file, 'utf8');
  return /\.json$/i.test(file) ? parseJsonDevices(file, text) : parseCsvDevices(file, text);
}

export function parseCsvDevices(file: string, text: string): DeviceFile {
  let rows: { record: Record<string, string>; info: { lines: number } }[];
  try {
    rows = parse(text, { columns: true, skip_empty_lines: true, trim: true, info: true, bom: true });
  } catch (err) {
    const csvError = err as { lines?: number; message: string };
    throw new DeviceFileError(file, [{ line: csvError.lines ?? 1, message: `not valid CSV: ${csvError.message}` }]);
  }
  const header = Object.keys(rows[0]?.record ?? {});
  const problems: Problem[] = [];
  for (const column of header) {
    const name = column.toLowerCase();
    if (!KINDS.has(name) && !IP_COLUMNS.has(name) && !NBIOT_COLUMNS.has(name)) {
      problems.push({
        line: 1,
        column,
        message: `unknown column; use identifier kinds (${DEVICE_ID_KINDS.join(', ')}), ipAddress or nbIot`,
      });
    }
  }
  if (rows.length === 0) problems.push({ line: 1, message: 'the file has no device rows' });
  if (problems.length) throw new DeviceFileError(file, problems);

  const devices: JobDeviceInput[] = [];
  const sources: DeviceSource[] = [];
  for (const { record, info } of rows) {
    const line = info.lines;
    const device: JobDeviceInput = { deviceIds: [] };
    const idColumns: string[] = [];
    for (const [column, value] of Object.entries(record)) {
      const name = column.toLowerCase();
      if (KINDS.has(name) && value !== '') {
        device.deviceIds.push({ kind: name, id: value });
        idColumns.push(column);
      } else if (IP_COLUMNS.has(name) && value !== '') {
        device.ipAddress = value;
      } else if (NBIOT_COLUMNS.has(name)) {
        const flag = value.toLowerCase();
        if (TRUE.has(flag)) device.nbIot = true;
        else if (!FALSE.has(flag)) problems.push({ line, column, message: 'nbIot must be true or false' });
      }
    }
    devices.push(device);
    sources.push({ line, idColumns });
  }
  return { devices, sources, problems };
}

export function parseJsonDevices(file: string, text: string): DeviceFile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new DeviceFileError(file, [{ message: `not valid JSON: ${(err as Error).message}` }]);
  }
  const list = Array.isArray(data) ? data : (data as { devices?: unknown })?.devices;
  if (!Array.isArray(list)) {
    throw new DeviceFileError(file, [{ message: 'expected an array of devices or an object with "devices"' }]);
  }
  // JSON.parse keeps no line numbers; the item's path (devices[3].deviceIds[0].id) points at it instead.
  return { devices: list as JobDeviceInput[], sources: list.map(() => ({ idColumns: [] })), problems: [] };
}

/**
 * An issue of the job request, pointed at the file: the line and column for CSV, the item's path for JSON.
 * Issues not about one device name their field.
 */
export function problemAt(sources: readonly DeviceSource[], issue: z.core.$ZodIssue): Problem {
  const [field, index, ...rest] = issue.path;
  const source = field === 'devices' && typeof index === 'number' ? sources[index] : undefined;
  if (!source) return { message: `${formatIssuePath(issue.path)}: ${issue.message}` };
  const [deviceField, idIndex] = rest;
  const column = deviceField === 'deviceIds' && typeof idIndex === 'number' ? source.idColumns[idIndex] : undefined;
  if (source.line === undefined) {
    return {
      message: `${formatIssuePath(issue.path)}: ${issue.message}`,
    };
  }
  return { line: source.line, ...(column && { column }), message: issue.message };
}
