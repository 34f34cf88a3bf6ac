/** The useful parts of a remote server's error answer. */
export interface RemoteErrorBody {
  message?: string;
  param?: string;
  code?: string;
}

function field(record: Record<string, unknown>, key: string): string | undefined {
  const value = record[key];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Reads OpenAI's {error:{message,type,param,code}}, FastAPI's {detail}, a bare {error} or
 * {message}, or plain text. Never throws: an unreadable body is quoted as text.
 */
export function readRemoteErrorBody(body: Uint8Array): RemoteErrorBody {
  const raw = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8').trim();
  try {
    const parsed = JSON.parse(raw) as unknown;
    if (parsed && typeof parsed === 'object') {
      const record = parsed as Record<string, unknown>;
      const error = record.error;
      if (error && typeof error === 'object') {
        const inner = error as Record<string, unknown>;
        return { message: field(inner, 'message'), param: field(inner, 'param'), code: field(inner, 'code') };
      }
      if (typeof error === 'string') return { message: error };
      if (record.detail !== undefined) {
        return { message: typeof record.detail === 'string' ? record.detail : JSON.stringify(record.detail) };
      }
      if (typeof record.message === 'string') return { message: record.message };
    }
  } catch {
    // Not JSON: quote the text.
  }
  return { message: raw || undefined };
}
