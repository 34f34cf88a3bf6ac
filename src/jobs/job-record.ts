/** The states a job passes through; the last three are final. */
export const JOB_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const JOB_TYPES = ['tts', 'stt'] as const;
export type JobType = (typeof JOB_TYPES)[number];

export function isFinal(status: JobStatus): boolean {
  return status === 'completed' || status === 'failed' || status === 'cancelled';
}

/** What a finished job produced: an output file (TTS audio, STT transcript). */
export interface JobResult {
  file_id: string;
  url: string;
  format: string;
  content_type: string;
  bytes: number;
  duration_seconds: number;
  /** STT: the transcript text. */
  text?: string;
  engine?: string;
}

export interface JobFailure {
  error_code: string;
  message: string;
}

/** One jobs row. */
export interface JobRecord {
  id: string;
  userId: number;
  keyId: string | null;
  type: JobType;
  status: JobStatus;
  input: Record<string, unknown>;
  progress: number;
  stage: string;
  etaSeconds: number | null;
  result: JobResult | null;
  error: JobFailure | null;
  cancelRequested: boolean;
  idempotencyKey: string | null;
  reservationId: string | null;
  reservedSeconds: number;
  chargedSeconds: number | null;
  callbackUrl: string | null;
  attempts: number;
  lockedBy: string | null;
  heartbeatAt: Date | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** A job as the API shows it. */
export interface JobView {
  job_id: string;
  type: JobType;
  status: JobStatus;
  progress: number;
  stage: string;
  eta_seconds: number | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  attempts: number;
  reserved_seconds: number;
  charged_seconds: number | null;
  error?: JobFailure;
  result?: JobResult;
  links: { self: string; events: string; cancel: string; deliveries: string; result?: string };
}

export function jobView(job: JobRecord): JobView {
  const self = `/jobs/${job.id}`;
  return {
    job_id: job.id,
    type: job.type,
    status: job.status,
    progress: Math.round(job.progress * 1000) / 1000,
    stage: job.stage,
    eta_seconds: job.etaSeconds,
    created_at: job.createdAt.toISOString(),
    started_at: job.startedAt?.toISOString() ?? null,
    finished_at: job.finishedAt?.toISOString() ?? null,
    attempts: job.attempts,
    reserved_seconds: job.reservedSeconds,
    charged_seconds: job.chargedSeconds,
    ...(job.error ? { error: job.error } : {}),
    ...(job.result ? { result: job.result } : {}),
    links: {
      self,
      events: `${self}/events`,
      cancel: `${self}/cancel`,
      deliveries: `${self}/deliveries`,
      ...(job.result ? { result: `${self}/result` } : {}),
    },
  };
}
