import { abortedError, EngineError } from '../../ports/engine-error.js';
import type { EngineHealth } from '../../ports/engine-health.js';
import { CachedHealth } from '../cached-health.js';
import { RemoteHttpClient, type RemoteHttpClientOptions } from './remote-http-client.js';

/**
 * What every remote engine holds: its HTTP client, its cached health probe and whether it
 * has been disposed. Engines compose it, so start-of-call checks, health() and dispose()
 * behave the same for all of them.
 */
export class RemoteConnection {
  readonly client: RemoteHttpClient;
  private readonly healthCache: CachedHealth;
  private disposed = false;

  /** `probe` checks the server (cheaply); the default is GET `{base_url}/models`. */
  constructor(
    private readonly engineId: string,
    options: Omit<RemoteHttpClientOptions, 'engineId'>,
    probe?: (client: RemoteHttpClient) => Promise<EngineHealth>,
  ) {
    this.client = new RemoteHttpClient({ ...options, engineId });
    this.healthCache = new CachedHealth(() => (probe ? probe(this.client) : this.client.probe('/models')));
  }

  /** Throws `aborted` for an aborted signal and `unavailable` once disposed. */
  ensureOpen(signal: AbortSignal): void {
    if (signal.aborted) throw abortedError(this.engineId);
    if (this.disposed) {
      throw new EngineError('unavailable', `Engine ${this.engineId} has been disposed.`, this.engineId);
    }
  }

  health(): Promise<EngineHealth> {
    if (this.disposed) return Promise.resolve({ available: false, reason: 'The engine has been disposed.' });
    return this.healthCache.get();
  }

  /** Idempotent: destroys the client's sockets; later calls are refused. */
  dispose(): Promise<void> {
    this.disposed = true;
    this.client.dispose();
    return Promise.resolve();
  }
}
