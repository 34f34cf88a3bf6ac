/*
 * RemoteEngineError now lives beside the shared remote HTTP client; this path stays so that
 * existing imports (the resilience wrapper's spec) keep resolving.
 */
export { parseRetryAfter, RemoteEngineError } from '../remote/remote-engine-error.js';
