import type { AppConfig, EngineEntryConfig, EnginesConfig } from './config.schema.js';

/*
 * TTS fallback chains: an engine entry's `fallback: [ids]` names the engines that serve, in
 * that order, when it cannot. Chains are followed transitively (a: [b], b: [c] → a, b, c),
 * each engine at most once, so the order is predictable from config.yaml alone. The TTS
 * route's `routers.core.tts.fallback` is a default chain tried after the engine's own.
 */

/** The engines to try for a voice of engine `id`: its own chain, then the route's default chain. */
export function ttsEngineChain(config: AppConfig, id: string): string[] {
  const entries = config.engines.tts;
  const chain = fallbackChainOf(entries, id);
  if (chain.length === 0) return chain;
  for (const next of config.routers.core.tts.fallback.flatMap((route) => fallbackChainOf(entries, route))) {
    if (!chain.includes(next)) chain.push(next);
  }
  return chain;
}

/**
 * The engines to try for a voice of engine `id`, in order: the engine itself, then its
 * fallbacks depth-first. Ids no longer configured are skipped (the loader refuses them;
 * this keeps a half-applied edit from throwing).
 */
export function fallbackChainOf(entries: readonly EngineEntryConfig[], id: string): string[] {
  const byId = new Map(entries.map((entry) => [entry.id, entry]));
  const chain: string[] = [];
  const visit = (current: string): void => {
    if (chain.includes(current) || !byId.has(current)) return;
    chain.push(current);
    for (const next of byId.get(current)?.fallback ?? []) visit(next);
  };
  visit(id);
  return chain;
}

/**
 * What is wrong with the `fallback:` lists: only engines.tts entries take one, every id
 * must be another TTS engine (not itself, not an STT or chat engine), listed once, and no
 * chain may lead back to where it started.
 */
export function fallbackErrors(engines: EnginesConfig): string[] {
  const errors: string[] = [];
  for (const kind of ['stt', 'chat'] as const) {
    engines[kind].forEach((entry, index) => {
      if (entry.fallback !== undefined) {
        errors.push(
          `engines.${kind}.${index}.fallback is for TTS engines only (${kind.toUpperCase()} falls back by priority)`,
        );
      }
    });
  }
  const tts = new Map(engines.tts.map((entry) => [entry.id, entry]));
  const otherKind = (id: string): string | undefined =>
    (['stt', 'chat'] as const).find((kind) => engines[kind].some((entry) => entry.id === id));
  engines.tts.forEach((entry, index) => {
    const where = `engines.tts.${index}.fallback`;
    const seen = new Set<string>();
    for (const id of entry.fallback ?? []) {
      if (id === entry.id) errors.push(`${where} names the engine itself ('${id}')`);
      else if (seen.has(id)) errors.push(`${where} lists '${id}' twice`);
      else if (!tts.has(id)) {
        const kind = otherKind(id);
        errors.push(
          kind
            ? `${where} names '${id}', an engines.${kind} engine; a fallback must be a TTS engine`
            : `${where} names '${id}', which engines.tts does not define`,
        );
      }
      seen.add(id);
    }
  });
  const cycle = findCycle(tts);
  if (cycle) errors.push(`engines.tts fallback chains loop: ${cycle.join(' → ')}`);
  return errors;
}

/** What is wrong with `routers.core.tts.fallback`: every id must be a TTS engine, listed once. */
export function routeFallbackErrors(config: AppConfig): string[] {
  const where = 'routers.core.tts.fallback';
  const ids = config.routers.core.tts.fallback;
  return ids.flatMap((id, index) => {
    if (ids.indexOf(id) !== index) return [`${where} lists '${id}' twice`];
    if (!config.engines.tts.some((entry) => entry.id === id)) {
      return [`${where} names '${id}', which engines.tts does not define`];
    }
    return [];
  });
}

/** A loop through `fallback:` links (self-links excluded: reported on their own), or null. */
function findCycle(entries: ReadonlyMap<string, EngineEntryConfig>): string[] | null {
  const done = new Set<string>();
  const walk = (id: string, path: string[]): string[] | null => {
    const at = path.indexOf(id);
    if (at >= 0) return [...path.slice(at), id];
    if (done.has(id)) return null;
    for (const next of entries.get(id)?.fallback ?? []) {
      if (next === id || !entries.has(next)) continue;
      const found = walk(next, [...path, id]);
      if (found) return found;
    }
    done.add(id);
    return null;
  };
  for (const id of entries.keys()) {
    const found = walk(id, []);
    if (found) return found;
  }
  return null;
}
