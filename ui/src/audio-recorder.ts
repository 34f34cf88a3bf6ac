import { recordingToWav } from './wav-encoder.js';

/** The microphone through MediaRecorder; `stop()` answers the take as WAV. */
export class AudioRecorder {
  private recorder: MediaRecorder | null = null;
  private chunks: Blob[] = [];

  static supported(): boolean {
    return typeof MediaRecorder !== 'undefined' && navigator.mediaDevices?.getUserMedia !== undefined;
  }

  get recording(): boolean {
    return this.recorder?.state === 'recording';
  }

  async start(): Promise<void> {
    if (this.recording) return;
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    this.chunks = [];
    this.recorder = new MediaRecorder(stream);
    this.recorder.addEventListener('dataavailable', (event) => {
      if (event.data.size > 0) this.chunks.push(event.data);
    });
    this.recorder.start();
  }

  async stop(): Promise<Blob> {
    const recorder = this.recorder;
    if (!recorder) throw new Error('not recording');
    this.recorder = null;
    const stopped = new Promise<void>((resolve) => recorder.addEventListener('stop', () => resolve()));
    recorder.stop();
    await stopped;
    for (const track of recorder.stream.getTracks()) track.stop();
    return recordingToWav(new Blob(this.chunks, { type: recorder.mimeType }));
  }

  cancel(): void {
    if (!this.recorder) return;
    if (this.recorder.state !== 'inactive') this.recorder.stop();
    for (const track of this.recorder.stream.getTracks()) track.stop();
    this.recorder = null;
  }
}
