/**
 * The STTS server's phase-2 switches, still accepted in config.yaml as deprecated aliases
 * of today's keys. Its migration guide put them beside the phase flags, so they are read
 * under `features:` and at the top level. An alias sets its keys only where the file does
 * not set them itself (the current spelling wins); each use is a warning at load and in
 * GET /config/validation, never an error.
 */

interface DeprecatedKey {
  key: string;
  /** snake_case paths the alias's value is copied to. */
  targets: string[][];
}

export const DEPRECATED_KEYS: readonly DeprecatedKey[] = [
  { key: 'enable_adapters', targets: [['features', 'use_adapters']] },
  { key: 'enable_library_integration', targets: [['features', 'library_integration']] },
  {
    // Phase 2's middleware were the request interceptors: timing, logging and analytics.
    key: 'enable_middleware',
    targets: [
      ['middleware', 'timing', 'enabled'],
      ['middleware', 'logging', 'enabled'],
      ['middleware', 'analytics', 'enabled'],
    ],
  },
  { key: 'enable_historical_tracking', targets: [['middleware', 'analytics', 'enabled']] },
];

/** Where an alias may be written. */
const PLACES: readonly string[][] = [[], ['features']];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function has(document: Record<string, unknown>, path: string[]): boolean {
  let node: unknown = document;
  for (const segment of path) {
    if (!isRecord(node) || !Object.hasOwn(node, segment)) return false;
    node = node[segment];
  }
  return true;
}

/** Sets a value, creating missing mappings; a section of the wrong type is left for validation to report. */
function setPath(document: Record<string, unknown>, path: string[], value: unknown): void {
  let node = document;
  for (const segment of path.slice(0, -1)) {
    if (!Object.hasOwn(node, segment)) node[segment] = {};
    const next = node[segment];
    if (!isRecord(next)) return;
    node = next;
  }
  node[path[path.length - 1]] = value;
}

/**
 * Returns a copy of the file document with every deprecated alias moved onto its current
 * key(s), and one warning per alias found. The input is not changed.
 */
export function applyDeprecatedKeys(document: Record<string, unknown>): {
  document: Record<string, unknown>;
  warnings: string[];
} {
  const out = structuredClone(document);
  const warnings: string[] = [];
  for (const place of PLACES) {
    const section = place.length === 0 ? out : out[place[0]];
    if (!isRecord(section)) continue;
    for (const { key, targets } of DEPRECATED_KEYS) {
      if (!Object.hasOwn(section, key)) continue;
      const value = section[key];
      delete section[key];
      const where = [...place, key].join('.');
      const replacement = targets.map((path) => path.join('.')).join(', ');
      const shadowed = targets.filter((path) => has(document, path));
      if (shadowed.length === targets.length) {
        warnings.push(
          `${where} is deprecated and ignored: ${replacement} ${targets.length > 1 ? 'are' : 'is'} set`,
        );
        continue;
      }
      for (const path of targets) if (!shadowed.includes(path)) setPath(out, path, value);
      warnings.push(`${where} is deprecated; use ${replacement}`);
    }
  }
  return { document: out, warnings };
}
