import type { ErrorCode } from './error-code.js';

/** The response shape of every native (non-/v1, non-audio) endpoint. */
export interface Envelope<T = unknown> {
  status: 'success' | 'error';
  message: string;
  data: T | null;
  metadata: EnvelopeMetadata;
}

export interface EnvelopeMetadata {
  timestamp: string;
  request_id: string;
  error_code: ErrorCode | null;
  /** Seconds spent on the request when the answer was built. */
  execution_time: number;
}

/** Returned by a controller that wants a specific success message in the envelope. */
export class Enveloped<T> {
  constructor(
    readonly data: T,
    readonly message: string,
  ) {}
}

export function buildEnvelope<T>(args: {
  status: Envelope['status'];
  message: string;
  data: T | null;
  requestId: string;
  errorCode: ErrorCode | null;
  startedAt: bigint;
}): Envelope<T> {
  return {
    status: args.status,
    message: args.message,
    data: args.data,
    metadata: {
      timestamp: new Date().toISOString(),
      request_id: args.requestId,
      error_code: args.errorCode,
      execution_time: elapsedSeconds(args.startedAt),
    },
  };
}

export function elapsedSeconds(startedAt: bigint): number {
  const ns = process.hrtime.bigint() - startedAt;
  return Math.round(Number(ns) / 1e3) / 1e6;
}
