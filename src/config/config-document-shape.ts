/*
 * Checks a config document (config.yaml's content, or a patch of it) before any code
 * reads it as settings: keys that name JavaScript's prototype machinery could reach
 * Object.prototype through a merge or a lookup, and a document nested without bound
 * could exhaust the stack of the recursive readers. Both are refused, naming the key.
 */

/** Keys refused anywhere in config.yaml or a patch of it. */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Deeper than any setting (engines.tts.0.options.… is 5); adapter options get room to spare. */
export const MAX_CONFIG_DEPTH = 32;

/** One error per reserved key (by its dotted path) and per branch nested beyond MAX_CONFIG_DEPTH. */
export function documentShapeErrors(document: unknown, root: readonly string[] = []): string[] {
  const errors: string[] = [];
  // Iterative, so a pathological document cannot overflow the stack here either.
  const pending: Array<{ value: unknown; path: readonly string[] }> = [{ value: document, path: root }];
  while (pending.length > 0) {
    const { value, path } = pending.pop() as { value: unknown; path: readonly string[] };
    if (typeof value !== 'object' || value === null) continue;
    if (path.length - root.length >= MAX_CONFIG_DEPTH) {
      errors.push(`${path.join('.')} nests deeper than ${MAX_CONFIG_DEPTH} levels`);
      continue;
    }
    const entries: Array<[string, unknown]> = [];
    if (Array.isArray(value)) for (let i = 0; i < value.length; i++) entries.push([String(i), value[i]]);
    else for (const key of Object.keys(value)) entries.push([key, (value as Record<string, unknown>)[key]]);
    for (const [key, child] of entries) {
      const childPath = [...path, key];
      if (!Array.isArray(value) && RESERVED_KEYS.has(key)) {
        errors.push(`${childPath.join('.')} is not allowed: '${key}' is a reserved name`);
        continue;
      }
      pending.push({ value: child, path: childPath });
    }
  }
  return errors.sort();
}
