import { isDeepStrictEqual } from 'node:util';
import {
  Document,
  isCollection,
  isMap,
  isScalar,
  type Node,
  type Pair,
  parseDocument,
  Scalar,
  type ToStringOptions,
  type YAMLMap,
} from 'yaml';
import { documentShapeErrors } from './config-document-shape.js';

/*
 * Applies a JSON merge patch (RFC 7386: objects merge, null deletes, anything else
 * replaces) to config.yaml's text by editing only the text of the keys the patch names:
 * every other byte (comments, blank lines, quoting, indentation, flow style, number
 * spelling) stays as the operator wrote it. The result is checked against the same merge
 * done on plain values; a construct the text edit does not handle (see `textEdits`) falls
 * back to re-printing the document through the `yaml` model, which keeps comments and key
 * order but normalises spacing.
 */

export type YamlPatchResult = { ok: true; text: string } | { ok: false; errors: string[] };

type Patch = Record<string, unknown>;

interface TextEdit {
  start: number;
  end: number;
  text: string;
}

/** A construct the text edit leaves to the fallback. */
class UnsupportedConstruct extends Error {}

function isRecord(value: unknown): value is Patch {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** RFC 7386 on plain values. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return patch;
  const out: Patch = isRecord(target) ? { ...target } : {};
  for (const key of Object.keys(patch)) {
    const value = patch[key];
    if (value === null) delete out[key];
    else
      Object.defineProperty(out, key, {
        value: mergePatch(out[key], value),
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
  return out;
}

export function applyMergePatchToYaml(text: string, patch: Patch): YamlPatchResult {
  const shapeErrors = documentShapeErrors(patch);
  if (shapeErrors.length > 0) return { ok: false, errors: shapeErrors };
  const document = parseDocument(text);
  if (document.errors.length > 0) {
    return { ok: false, errors: [`config.yaml is not valid YAML: ${document.errors[0].message}`] };
  }
  const current: unknown = document.toJS() ?? {};
  if (!isRecord(current)) {
    return { ok: false, errors: ['config.yaml must be a mapping of sections (server:, auth:, …)'] };
  }
  const expected = mergePatch(current, patch);
  try {
    const edited = applyEdits(text, textEdits(text, document, patch));
    const check = parseDocument(edited);
    if (check.errors.length === 0 && isDeepStrictEqual(check.toJS() ?? {}, expected)) {
      return { ok: true, text: edited };
    }
  } catch (error) {
    if (!(error instanceof UnsupportedConstruct)) throw error;
  }
  try {
    return { ok: true, text: reprinted(document, patch) };
  } catch (error) {
    return { ok: false, errors: [`the patch cannot be applied to config.yaml: ${(error as Error).message}`] };
  }
}

/** The fallback: edits through the document model, then prints the whole document. */
function reprinted(document: Document, patch: Patch): string {
  const walk = (path: string[], value: Patch): void => {
    for (const key of Object.keys(value)) {
      const child = value[key];
      const childPath = [...path, key];
      if (child === null) {
        document.deleteIn(childPath);
        continue;
      }
      const existing = document.getIn(childPath, true);
      if (isRecord(child) && isMap(existing)) walk(childPath, child);
      else if (isScalar(existing) && typeof child !== 'object') existing.value = child;
      else document.setIn(childPath, document.createNode(mergePatch(undefined, child)));
    }
  };
  walk([], patch);
  return document.toString();
}

function applyEdits(text: string, edits: TextEdit[]): string {
  // From the end, so earlier offsets stay valid; at one offset the wider edit goes first.
  const sorted = [...edits].sort((a, b) => b.start - a.start || b.end - a.end);
  let out = text;
  for (const edit of sorted) out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
  return out;
}

const BLOCK_OPTIONS: ToStringOptions = { lineWidth: 0 };
const INLINE_OPTIONS: ToStringOptions = {
  lineWidth: Number.MAX_SAFE_INTEGER,
  blockQuote: false,
  flowCollectionPadding: false,
};

/** `key: value` lines (value in block style) at `indent` spaces, ending in a newline. */
function blockPair(key: string, value: unknown, indent: number): string {
  const document = new Document();
  document.contents = document.createNode(new Map([[key, value]]));
  const pad = ' '.repeat(indent);
  return document
    .toString(BLOCK_OPTIONS)
    .split('\n')
    .map((line) => (line === '' ? line : pad + line))
    .join('\n');
}

/** A value on one line; a string keeps the quoting style of the value it replaces. */
function inlineValue(value: unknown, replacing?: Node | null): string {
  const document = new Document();
  const node = document.createNode(value, { flow: true });
  if (isScalar(node) && typeof value === 'string' && isScalar(replacing)) {
    if (replacing.type === Scalar.QUOTE_DOUBLE || replacing.type === Scalar.QUOTE_SINGLE) {
      node.type = replacing.type;
    }
  }
  document.contents = node;
  const printed = document.toString(INLINE_OPTIONS).replace(/\n$/, '');
  // JSON is valid YAML and always fits on one line.
  return printed.includes('\n') ? JSON.stringify(value) : printed;
}

function lineStart(text: string, position: number): number {
  return text.lastIndexOf('\n', position - 1) + 1;
}

function afterLine(text: string, position: number): number {
  const newline = text.indexOf('\n', position);
  return newline < 0 ? text.length : newline + 1;
}

function rangeOf(node: Node | null | undefined): [number, number] {
  const range = node?.range;
  if (!range) throw new UnsupportedConstruct('a node without a source range');
  return [range[0], range[1]];
}

/** The column where a block map's keys start; each of them must begin its own line. */
function blockIndent(text: string, map: YAMLMap): number {
  const columns = map.items.map((pair) => {
    const [start] = rangeOf(pair.key as Node);
    const before = text.slice(lineStart(text, start), start);
    if (!/^ *$/.test(before)) throw new UnsupportedConstruct('a key that does not begin its line');
    return before.length;
  });
  if (columns.length === 0 || columns.some((column) => column !== columns[0])) {
    throw new UnsupportedConstruct('a map without one indentation');
  }
  return columns[0];
}

/** Where the text of a pair ends: after its line (value, inline comment, newline). */
function pairEnd(text: string, pair: Pair): number {
  const [, valueEnd] = rangeOf((pair.value ?? pair.key) as Node);
  return valueEnd > 0 && text[valueEnd - 1] === '\n' ? valueEnd : afterLine(text, valueEnd);
}

/** Position just after the `:` that follows a block pair's key. */
function afterColon(text: string, pair: Pair): number {
  const [, keyEnd] = rangeOf(pair.key as Node);
  const match = /^[ \t]*:/.exec(text.slice(keyEnd));
  if (!match) throw new UnsupportedConstruct('a key not followed by a colon');
  return keyEnd + match[0].length;
}

function findPair(map: YAMLMap, key: string): Pair | undefined {
  return map.items.find((pair) => isScalar(pair.key) && String(pair.key.value) === key);
}

/**
 * The text edits that apply `patch`. Handled: block maps (all along the patched paths),
 * any scalar, block or flow collection as a replaced value, flow collections merged as a
 * whole. Left to the fallback: a root that is a flow map, keys given by aliases or complex
 * keys, maps whose keys do not each begin a line.
 */
function textEdits(text: string, document: Document, patch: Patch): TextEdit[] {
  const root: unknown = document.contents;
  if (root === null || (isScalar(root) && root.value === null)) {
    const additions = mergePatch({}, patch) as Patch;
    const lines = Object.keys(additions)
      .map((key) => blockPair(key, additions[key], 0))
      .join('');
    if (lines === '') return [];
    const separator = text === '' || text.endsWith('\n') ? '' : '\n';
    return [{ start: text.length, end: text.length, text: separator + lines }];
  }
  if (!isMap(root) || root.flow) throw new UnsupportedConstruct('a root that is not a block map');
  return mapEdits(text, root, patch).edits;
}

/** Edits for one block map; `emptied` when every key was deleted and none added. */
function mapEdits(text: string, map: YAMLMap, patch: Patch): { edits: TextEdit[]; emptied: boolean } {
  const indent = blockIndent(text, map);
  const edits: TextEdit[] = [];
  const additions: string[] = [];
  let remaining = map.items.length;
  for (const key of Object.keys(patch)) {
    const value = patch[key];
    const pair = findPair(map, key);
    if (!pair) {
      if (value !== null) additions.push(blockPair(key, mergePatch(undefined, value), indent));
      continue;
    }
    if (value === null) {
      const [keyStart] = rangeOf(pair.key as Node);
      edits.push({ start: lineStart(text, keyStart), end: pairEnd(text, pair), text: '' });
      remaining--;
      continue;
    }
    edits.push(...valueEdits(text, pair, value, indent));
  }
  if (additions.length > 0) {
    const at = pairEnd(text, map.items[map.items.length - 1]);
    const separator = at > 0 && text[at - 1] !== '\n' ? '\n' : '';
    edits.push({ start: at, end: at, text: separator + additions.join('') });
  }
  return { edits, emptied: remaining === 0 && additions.length === 0 };
}

/** Edits that give an existing pair its patched value. */
function valueEdits(text: string, pair: Pair, value: unknown, indent: number): TextEdit[] {
  const existing = pair.value as Node | null;
  if (isRecord(value) && isMap(existing) && !existing.flow) {
    const nested = mapEdits(text, existing, value);
    if (!nested.emptied) return nested.edits;
    return [replaceValue(text, pair, {}, indent)];
  }
  if (isRecord(value)) {
    const merged = mergePatch(isMap(existing) ? existing.toJSON() : undefined, value);
    return [replaceValue(text, pair, merged, indent)];
  }
  if (typeof value !== 'object' && isScalar(existing) && !isBlockScalar(existing)) {
    const [start, end] = rangeOf(existing);
    const spacer = text[start - 1] === ':' ? ' ' : '';
    return [{ start, end, text: spacer + inlineValue(value, existing) }];
  }
  return [replaceValue(text, pair, value, indent)];
}

function isBlockScalar(node: Node): boolean {
  return isScalar(node) && (node.type === Scalar.BLOCK_LITERAL || node.type === Scalar.BLOCK_FOLDED);
}

/** Rewrites everything after the pair's colon up to the end of its value. */
function replaceValue(text: string, pair: Pair, value: unknown, indent: number): TextEdit {
  const existing = pair.value as Node | null;
  const start = afterColon(text, pair);
  let end = existing ? rangeOf(existing)[1] : start;
  const flowStyle = isCollection(existing) && existing.flow === true;
  const inline =
    !isRecord(value) && !Array.isArray(value)
      ? true
      : flowStyle || (Array.isArray(value) ? value.length === 0 : Object.keys(value).length === 0);
  if (inline) {
    const rest = end > 0 && text[end - 1] === '\n' ? '\n' : '';
    return { start, end, text: ` ${inlineValue(value, existing)}${rest}` };
  }
  // A block value starts on the next line; the replaced value's own inline comment goes with it.
  if (!(end > 0 && text[end - 1] === '\n')) end = afterLine(text, end);
  const block = blockPair('k', value, indent).replace(/^ *k:/, '');
  return { start, end, text: block.endsWith('\n') ? block : `${block}\n` };
}
