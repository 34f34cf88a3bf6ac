import type { TimedText } from '../engines/ports/stt-engine.js';

/**
 * Cues for subtitles: segments in order, each starting no earlier than the previous one
 * ended and lasting at least 1 ms, so players (and parsers) always see monotonic times.
 */
export function monotonicCues(segments: readonly TimedText[]): TimedText[] {
  const cues: TimedText[] = [];
  let previousEnd = 0;
  for (const segment of [...segments].sort((a, b) => a.start - b.start)) {
    const text = segment.text.trim();
    if (!text) continue;
    const start = Math.max(segment.start, previousEnd);
    const end = Math.max(segment.end, start + 0.001);
    cues.push({ text, start, end });
    previousEnd = end;
  }
  return cues;
}

/** hh:mm:ss plus milliseconds after `separator` (',' for SRT, '.' for WebVTT). */
export function cueTimestamp(seconds: number, separator: ',' | '.'): string {
  const totalMs = Math.max(0, Math.round(seconds * 1000));
  const ms = totalMs % 1000;
  const totalSeconds = Math.floor(totalMs / 1000);
  const pad = (value: number, width = 2): string => String(value).padStart(width, '0');
  return `${pad(Math.floor(totalSeconds / 3600))}:${pad(Math.floor(totalSeconds / 60) % 60)}:${pad(totalSeconds % 60)}${separator}${pad(ms, 3)}`;
}

/** SubRip: numbered cues, `00:00:01,200 --> 00:00:02,500`, a blank line after each. */
export function toSrt(segments: readonly TimedText[]): string {
  return monotonicCues(segments)
    .map(
      (cue, index) =>
        `${index + 1}\n${cueTimestamp(cue.start, ',')} --> ${cueTimestamp(cue.end, ',')}\n${cue.text}\n`,
    )
    .join('\n');
}

/** WebVTT: the WEBVTT header, then cues with `.` before the milliseconds. */
export function toVtt(segments: readonly TimedText[]): string {
  const cues = monotonicCues(segments).map(
    (cue) => `${cueTimestamp(cue.start, '.')} --> ${cueTimestamp(cue.end, '.')}\n${cue.text}\n`,
  );
  return ['WEBVTT\n', ...cues].join('\n');
}
