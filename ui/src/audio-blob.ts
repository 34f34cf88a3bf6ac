/** Audio from a JSON answer (base64) as a Blob an <audio> element can play through a blob: URL. */
export function base64Blob(base64: string, contentType: string): Blob {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new Blob([bytes], { type: contentType });
}

/** Plays `blob` in `audio`, releasing the previous blob: URL it held. */
export function playBlob(audio: HTMLAudioElement, blob: Blob, autoplay = true): void {
  const previous = audio.src;
  audio.src = URL.createObjectURL(blob);
  if (previous.startsWith('blob:')) URL.revokeObjectURL(previous);
  if (autoplay) audio.play().catch(() => undefined); // a refused autoplay leaves the controls to the user
}
