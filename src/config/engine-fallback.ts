import type { AppConfig, EngineEntryConfig, EnginesConfig } from './config.schema.js';

/*
 * Fallback chains (TTS and chat): an engine entry's `fallback: [ids]` names the engines that serve, in
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

/** The engine kinds whose entries take a `fallback:` list (STT falls back by priority). */
const KINDS_WITH_FALLBACK = ['tts', 'chat'] as const;

/**
 * What is wrong with the `fallback:` lists: only engines.tts and engines.chat entries take
 * one, every id must be another engine of the same kind (not itself, not one of another
 * kind), listed once, and no chain may lead back to where it started.
 */
export function fallbackErrors(engines: EnginesConfig): string[] {
  const errors: string[] = [];
  engines.stt.forEach((entry, index) => {
    if (entry.fallback !== undefined) {
      errors.push(
        `engines.stt.${index}.fallback is for TTS and chat engines only (STT falls back by priority)`,
      );
    }
  });
  for (const kind of KINDS_WITH_FALLBACK) errors.push(...fallbackErrorsOf(engines, kind));
  return errors;
}

function fallbackErrorsOf(engines: EnginesConfig, kind: (typeof KINDS_WITH_FALLBACK)[number]): string[] {
  const errors: string[] = [];
  const label = kind === 'tts' ? 'TTS' : 'chat';
  const own = new Map(engines[kind].map((entry) => [entry.id, entry]));
  const otherKind = (id: string): string | undefined =>
    (['tts', 'stt', 'chat'] as const).find(
      (other) => other !== kind && engines[other].some((entry) => entry.id === id),
    );
  engines[kind].forEach((entry, index) => {
    const where = `engines.${kind}.${index}.fallback`;
    const seen = new Set<string>();
    for (const id of entry.fallback ?? []) {
      if (id === entry.id) errors.push(`${where} names the engine itself ('${id}')`);
      else if (seen.has(id)) errors.push(`${where} lists '${id}' twice`);
      else if (!own.has(id)) {
        const other = otherKind(id);
        errors.push(
          other
            ? `${where} names '${id}', an engines.${other} engine; a fallback must be a ${label} engine`
            : `${where} names '${id}', which engines.${kind} does not define`,
        );
      }
      seen.add(id);
    }
  });
  const cycle = findCycle(own);
  if (cycle) errors.push(`engines.${kind} fallback chains loop: ${cycle.join(' → ')}`);
  return errors;
}

/** What is wrong with `openai.chat_models`: every name must map to an engines.chat id. */
export function chatModelErrors(config: AppConfig): string[] {
  return Object.entries(config.openai.chatModels).flatMap(([name, id]) =>
    config.engines.chat.some((entry) => entry.id === id)
      ? []
      : [`openai.chat_models.${name} names '${id}', which engines.chat does not define`],
  );
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
