import { EngineOptionsError } from '../ports/engine-factory.js';

/*
 * Option readers every adapter shares: strict (unknown keys and wrong types throw an
 * EngineOptionsError naming the option), so a typo never silently falls back to a default.
 */

export type RawOptions = Readonly<Record<string, unknown>>;

/** `what` names the adapter's options in the message: "an espeak option" (default "an option of type <type>"). */
export function rejectUnknownKeys(
  raw: RawOptions,
  known: readonly string[],
  adapterType: string,
  what = `an option of type ${adapterType}`,
): void {
  for (const key of Object.keys(raw)) {
    if (!known.includes(key)) {
      throw new EngineOptionsError(`options.${key} is not ${what} (known: ${known.join(', ')})`);
    }
  }
}

export function optionalText(raw: RawOptions, key: string): string | undefined {
  const value = raw[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') {
    throw new EngineOptionsError(`options.${key} must be a non-empty string`);
  }
  return value.trim();
}

export function optionalBoolean(raw: RawOptions, key: string): boolean | undefined {
  const value = raw[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new EngineOptionsError(`options.${key} must be true or false`);
  return value;
}

export function optionalNumber(
  raw: RawOptions,
  key: string,
  check: (value: number) => boolean,
  expected: string,
): number | undefined {
  const value = raw[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || !check(value)) {
    throw new EngineOptionsError(`options.${key} must be ${expected}`);
  }
  return value;
}

export function numberOption(
  raw: RawOptions,
  key: string,
  check: (value: number) => boolean,
  expected: string,
  fallback: number,
): number {
  return optionalNumber(raw, key, check, expected) ?? fallback;
}

/** A non-empty list of distinct non-empty strings, or undefined when absent. */
export function optionalTextList(raw: RawOptions, key: string, what: string): string[] | undefined {
  const value = raw[key];
  if (value === undefined) return undefined;
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    !value.every((item) => typeof item === 'string' && item.trim() !== '')
  ) {
    throw new EngineOptionsError(`options.${key} must be a non-empty list of ${what}`);
  }
  const list = (value as string[]).map((item) => item.trim());
  if (new Set(list).size !== list.length) {
    throw new EngineOptionsError(`options.${key} must not list an entry twice`);
  }
  return list;
}
