/**
 * Headers of every /ui answer. The console loads only its own files: no inline script or
 * style (so injected markup cannot run), audio from the API as blob:/data: URLs, calls to
 * this origin only, and no framing.
 */
export const CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "media-src 'self' blob: data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; '),
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  // Revalidate each load: a rebuilt console is picked up at once.
  'Cache-Control': 'no-cache',
};
