/** RFC 5987 attr-char: what may stand unescaped in `filename*`. */
function encodeRfc5987(value: string): string {
  return encodeURIComponent(value).replace(
    /['()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * `Content-Disposition: attachment` naming the file safely (RFC 6266): an ASCII fallback
 * with quotes, backslashes and anything outside printable ASCII replaced by `_`, and the
 * exact name UTF-8 percent-encoded in `filename*`. No client byte reaches the header raw,
 * so a name cannot split the header or inject another.
 */
export function attachmentDisposition(name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\%]/g, '_') || 'file';
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encodeRfc5987(name)}`;
}
