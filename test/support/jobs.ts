import { readFile } from 'node:fs/promises';
import { bearer } from './accounts.js';
import { requestJson, waitFor } from './test-gateway.js';

/** A job as GET /jobs/{id} shows it (the fields the tests read). */
export interface JobView {
  job_id: string;
  type: string;
  status: string;
  progress: number;
  stage: string;
  eta_seconds: number | null;
  attempts: number;
  reserved_seconds: number;
  charged_seconds: number | null;
  error?: { error_code: string; message: string };
  result?: {
    file_id: string;
    url: string;
    duration_seconds: number;
    format: string;
    bytes: number;
    text?: string;
  };
}

export const FINAL_STATUSES = ['completed', 'failed', 'cancelled'];

export async function submitJob(
  url: string,
  key: string | undefined,
  body: Record<string, unknown>,
): Promise<{
  status: number;
  body: {
    data: { job_id: string; status: string; created: boolean } | null;
    metadata: { error_code: string | null };
  };
}> {
  return requestJson(`${url}/jobs`, {
    method: 'POST',
    headers: { ...(key ? bearer(key) : {}), 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}

export async function submitSttUpload(
  url: string,
  key: string | undefined,
  path: string,
  fields: Record<string, string> = {},
) {
  const form = new FormData();
  form.set('type', 'stt');
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  form.set('file', new Blob([await readFile(path)]), 'clip.wav');
  return requestJson<{
    data: { job_id: string; status: string } | null;
    metadata: { error_code: string | null };
  }>(`${url}/jobs`, { method: 'POST', headers: key ? bearer(key) : {}, body: form });
}

export async function getJob(url: string, key: string | undefined, id: string): Promise<JobView> {
  const answer = await requestJson<{ data: JobView }>(`${url}/jobs/${id}`, {
    headers: key ? bearer(key) : {},
  });
  if (answer.status !== 200) throw new Error(`GET /jobs/${id} answered ${answer.status}`);
  return answer.body.data;
}

export async function waitForJob(
  url: string,
  key: string | undefined,
  id: string,
  done: (job: JobView) => boolean = (job) => FINAL_STATUSES.includes(job.status),
  timeoutMs = 60_000,
): Promise<JobView> {
  return waitFor(
    async () => {
      const job = await getJob(url, key, id);
      return done(job) ? job : undefined;
    },
    `job ${id}`,
    timeoutMs,
  );
}
