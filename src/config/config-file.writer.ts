import { randomBytes } from 'node:crypto';
import { open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isMap, isScalar, parseDocument } from 'yaml';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Applies a JSON merge patch (RFC 7386: objects merge, null deletes, anything else
 * replaces) to YAML text. Edits go through the `yaml` package's document model, so
 * comments, key order and untouched formatting survive (js-yaml would drop them).
 */
export function applyMergePatchToYaml(text: string, patch: Record<string, unknown>): string {
  const document = parseDocument(text);
  const walk = (path: string[], value: Record<string, unknown>): void => {
    for (const [key, child] of Object.entries(value)) {
      const childPath = [...path, key];
      if (child === null) {
        document.deleteIn(childPath);
        continue;
      }
      const existing = document.getIn(childPath, true);
      if (isRecord(child) && isMap(existing)) {
        walk(childPath, child);
      } else if (isScalar(existing) && typeof child !== 'object') {
        // Changing the value in place keeps the node's inline comment.
        existing.value = child;
      } else {
        document.setIn(childPath, document.createNode(child));
      }
    }
  };
  walk([], patch);
  return document.toString();
}

/** Writes beside the target then renames, so readers (and the watcher) never see half a file. */
export async function writeFileAtomically(path: string, text: string): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const mode = await stat(path).then(
    (s) => s.mode & 0o777,
    () => 0o644,
  );
  const handle = await open(temporary, 'w', mode);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
}
