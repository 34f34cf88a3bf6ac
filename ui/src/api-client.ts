/** A refused call: the envelope's error code and message (or the HTTP status when there is none). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown = null,
  ) {
    super(message);
  }
}

export interface RawAnswer {
  status: number;
  headers: Headers;
  body: Blob;
}

interface Envelope {
  status?: string;
  message?: string;
  data?: unknown;
  metadata?: { error_code?: string | null };
  error?: { message?: string; code?: string };
}

async function errorOf(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as Envelope;
    const code = body.metadata?.error_code ?? body.error?.code ?? `HTTP_${response.status}`;
    const message = body.message ?? body.error?.message ?? response.statusText;
    return new ApiError(response.status, code, message, body.data ?? null);
  } catch {
    return new ApiError(
      response.status,
      `HTTP_${response.status}`,
      text.slice(0, 200) || response.statusText,
    );
  }
}

/** Calls the gateway's public API with the signed-in key. */
export class ApiClient {
  constructor(private readonly key: string) {}

  private async send(
    method: string,
    path: string,
    body?: unknown,
    accept = 'application/json',
  ): Promise<Response> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.key}`, Accept: accept };
    let payload: BodyInit | undefined;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    let response: Response;
    try {
      response = await fetch(path, { method, headers, body: payload, cache: 'no-store' });
    } catch {
      throw new ApiError(0, 'NETWORK_ERROR', 'The gateway could not be reached.');
    }
    if (!response.ok) throw await errorOf(response);
    return response;
  }

  /** A native endpoint's envelope data. */
  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.send(method, path, body);
    const envelope = (await response.json()) as Envelope;
    return envelope.data as T;
  }

  get<T>(path: string): Promise<T> {
    return this.json<T>('GET', path);
  }

  /** Bytes and headers as they came (audio answers). */
  async raw(method: string, path: string, body: unknown, accept: string): Promise<RawAnswer> {
    const response = await this.send(method, path, body, accept);
    return { status: response.status, headers: response.headers, body: await response.blob() };
  }
}

/** The message a person reads for a failed call. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    const fields = fieldErrors(error.details);
    return `${error.message} (${error.code})${fields ? ` — ${fields}` : ''}`;
  }
  return error instanceof Error ? error.message : String(error);
}

function fieldErrors(details: unknown): string {
  if (typeof details !== 'object' || details === null || !('fields' in details)) return '';
  const fields = details.fields;
  if (!Array.isArray(fields)) return '';
  return fields
    .map(
      (item: { field?: unknown; errors?: unknown }) =>
        `${String(item.field)}: ${Array.isArray(item.errors) ? item.errors.join(', ') : ''}`,
    )
    .join('; ');
}
