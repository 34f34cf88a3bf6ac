/**
 * Wraps an async check so that callers arriving while one run is in flight share it
 * instead of starting their own: under a burst of concurrent health probes, one database
 * round trip answers them all. Each call after the shared run has settled starts a new
 * one; nothing is cached beyond the run itself.
 */
export function singleFlight<T>(run: () => Promise<T>): () => Promise<T> {
  let inFlight: Promise<T> | undefined;
  return () => {
    inFlight ??= run().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
}
