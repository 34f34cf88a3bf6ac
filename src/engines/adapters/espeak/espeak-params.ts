/**
 * How the port's relative speed/pitch become espeak's absolute settings. Both backends use
 * these, so the same request sounds the same whichever one serves it.
 */

/** espeak-ng's fixed output rate, both backends. */
export const ESPEAK_SAMPLE_RATE = 22050;

/** espeak's own default rate; speed 1.0 keeps it. */
export const ESPEAK_BASE_WPM = 175;
/** espeak-ng clamps to this range without libsonic; clamping here keeps both backends equal. */
export const ESPEAK_MIN_WPM = 80;
export const ESPEAK_MAX_WPM = 450;
/** espeak's default pitch (0–99 scale). */
export const ESPEAK_BASE_PITCH = 50;

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/** Words per minute for a speed factor (1.0 = 175 wpm). */
export function espeakRate(speed = 1): number {
  return Math.round(clamp(ESPEAK_BASE_WPM * speed, ESPEAK_MIN_WPM, ESPEAK_MAX_WPM));
}

/** espeak pitch for a factor (1.0 = 50); multiplicative so 2.0 doubles it, clamped to 0–99. */
export function espeakPitch(pitch = 1): number {
  return Math.round(clamp(ESPEAK_BASE_PITCH * pitch, 0, 99));
}

/**
 * Both backends run espeak in SSML mode (the WASM glue always does, and the CLI is given -m
 * so it reads text the same way), so plain text must not be able to open tags or entities.
 */
export function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** True when the input has nothing to speak: blank text, or SSML that is only tags. */
export function isBlank(text: string, ssml: boolean): boolean {
  const content = ssml ? text.replace(/<[^>]*>/g, ' ') : text;
  return content.trim() === '';
}
