/**
 * What the edge refuses in any client string (JSON body, query string, path): U+0000, which
 * PostgreSQL cannot store and no identifier or text needs, and lone UTF-16 surrogates, which
 * are not Unicode text at all. Both are refused before any handler runs, so no deeper layer
 * (database, engines, config writer) ever sees them.
 */
export interface InputProblem {
  /** Where: a body field path (`voice`, `engines.tts[0].id`), `query.<name>` or `path`. */
  field: string;
  reason: string;
}

/** A NUL, or a surrogate half without its partner. */
// eslint-disable-next-line no-control-regex -- finding NUL is the point
const BAD_CHARACTER = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a string is refused, or undefined when it is fine. */
export function badCharacterIn(text: string): string | undefined {
  const found = BAD_CHARACTER.exec(text);
  if (!found) return undefined;
  return found[0] === '\u0000'
    ? 'must not contain the NUL character (U+0000)'
    : 'must not contain a lone UTF-16 surrogate (invalid Unicode)';
}

function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent ? `${parent}.${key}` : key;
}

/**
 * The first problem in a parsed JSON value: nesting deeper than `maxDepth` (objects and
 * arrays count one level each), or a bad character in a key or a string. Walks iteratively,
 * so no input can exhaust the stack here.
 */
export function findInputProblem(root: unknown, maxDepth: number, rootPath = ''): InputProblem | undefined {
  const stack: Array<{ value: unknown; path: string; depth: number }> = [
    { value: root, path: rootPath, depth: 0 },
  ];
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop()!;
    if (typeof value === 'string') {
      const reason = badCharacterIn(value);
      if (reason) return { field: path || 'body', reason };
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth + 1 > maxDepth) {
      // The whole body is named: the path down there would be as long as the nesting.
      const field = rootPath || 'body';
      return { field, reason: `nests deeper than ${maxDepth} levels (server.max_json_depth)` };
    }
    if (Array.isArray(value)) {
      value.forEach((item, index) =>
        stack.push({ value: item, path: childPath(path, index), depth: depth + 1 }),
      );
      continue;
    }
    for (const [key, item] of Object.entries(value)) {
      const keyReason = badCharacterIn(key);
      if (keyReason) return { field: path || 'body', reason: `has a key that ${keyReason}` };
      stack.push({ value: item, path: childPath(path, key), depth: depth + 1 });
    }
  }
  return undefined;
}
