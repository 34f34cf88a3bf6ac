import { readFile } from 'node:fs/promises';
import { Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { AudioFormatError, AudioTooLongError } from '../audio/audio-error.js';
import { sniffAudioFile, type SniffedAudioType } from '../audio/audio-sniffer.js';
import { AudioTranscoder } from '../audio/audio-transcoder.js';
import { AppError } from '../common/app-error.js';
import { BOOT_OPTIONS } from '../common/injection-tokens.js';
import { ConfigService } from '../config/config.service.js';
import type { GatewayRuntimeInfo } from '../gateway-runtime-info.js';
import { type ReceivedUpload, receiveUpload, refusedBeforeBody } from '../stt/upload-receiver.js';
import type { FileFolder } from './file-folder.js';
import { cleanFileName, FileStorageService } from './file-storage.service.js';
import type { StoredFile } from './stored-file.js';
import { MAX_VOICE_DEFINITION_BYTES, parseVoiceDefinition } from './voice-definition.js';

const AUDIO_CONTENT_TYPES: Record<SniffedAudioType, string> = {
  wav: 'audio/wav',
  mp3: 'audio/mpeg',
  m4a: 'audio/mp4',
  flac: 'audio/flac',
  ogg: 'audio/ogg',
  webm: 'audio/webm',
  aac: 'audio/aac',
};
/** Reference audio is decoded at this rate to measure it (cheap: the samples are dropped). */
const MEASURE_SAMPLE_RATE = 8000;

/** The file's name: the form's `name` field, else the part's filename, else one made from the id-less kind. */
function nameOf(upload: ReceivedUpload, fallback: string): string {
  const field = upload.fields['name'];
  const given = typeof field === 'string' ? field : upload.fileName;
  return cleanFileName(given, fallback);
}

/** What the folder's rules made of an upload: how to store it. */
interface CheckedUpload {
  name: string;
  contentType: string;
  metadata: Record<string, unknown>;
}

/**
 * POST /files/{folder}: receives the multipart `file` part to a temporary file, applies the
 * folder's rules, then stores it. reference_audio: audio by its bytes (as /stt uploads: a
 * type in routers.core.stt.supported_formats, else 415), decodable (else 400 INVALID_AUDIO)
 * and at most reference_audio.max_audio_seconds long (else 413 AUDIO_TOO_LONG). voices: a
 * valid voice definition in JSON or YAML, at most 64 KB (else 400). outputs: any bytes,
 * labelled as audio when they are audio and application/octet-stream otherwise.
 */
@Injectable()
export class FileUploadService {
  constructor(
    private readonly storage: FileStorageService,
    private readonly transcoder: AudioTranscoder,
    private readonly config: ConfigService,
    @Inject(BOOT_OPTIONS) private readonly runtime: GatewayRuntimeInfo,
  ) {}

  async upload(req: Request, folder: FileFolder, ownerId: number, signal: AbortSignal): Promise<StoredFile> {
    if (!/^multipart\/form-data\b/i.test(req.headers['content-type'] ?? '')) {
      throw refusedBeforeBody(
        req,
        new AppError('VALIDATION_FAILED', 'Send the file as multipart/form-data, in a part named "file".'),
      );
    }
    const settings = this.config.current.routers.management.files;
    const maxBytes = Math.floor(settings.maxUploadSizeMb * 1024 * 1024);
    const limit = folder === 'voices' ? Math.min(maxBytes, MAX_VOICE_DEFINITION_BYTES) : maxBytes;
    const upload = await this.receive(req, limit, signal);
    try {
      const checked = await this.check(folder, upload, signal);
      return await this.storage.store({
        ownerId,
        folder,
        name: checked.name,
        contentType: checked.contentType,
        metadata: checked.metadata,
        source: { path: upload.path, move: true },
        maxBytes: limit,
      });
    } finally {
      await upload.discard();
    }
  }

  private async receive(req: Request, maxBytes: number, signal: AbortSignal): Promise<ReceivedUpload> {
    try {
      return await receiveUpload(req, { maxBytes, tempDir: this.runtime.tempDir, fileField: 'file' }, signal);
    } catch (error) {
      // The receiver speaks of audio; say what the limit is for files.
      if (error instanceof AppError && error.code === 'FILE_TOO_LARGE') {
        throw new AppError(
          'FILE_TOO_LARGE',
          `The file is larger than the limit of ${maxBytes} bytes (routers.management.files.max_upload_size_mb; voice definitions: 64 KB).`,
          { max_bytes: maxBytes },
          error.headers,
        );
      }
      throw error;
    }
  }

  private check(folder: FileFolder, upload: ReceivedUpload, signal: AbortSignal): Promise<CheckedUpload> {
    switch (folder) {
      case 'reference_audio':
        return this.checkReferenceAudio(upload, signal);
      case 'voices':
        return this.checkVoiceDefinition(upload);
      case 'outputs':
        return this.checkOutput(upload);
    }
  }

  private async checkReferenceAudio(upload: ReceivedUpload, signal: AbortSignal): Promise<CheckedUpload> {
    if (upload.bytes === 0) throw new AppError('INVALID_AUDIO', 'The audio file is empty.');
    const accepted = this.config.current.routers.core.stt.supportedFormats;
    const type = await sniffAudioFile(upload.path);
    if (!type || !accepted.includes(type)) {
      throw new AppError(
        'UNSUPPORTED_MEDIA_TYPE',
        type
          ? `${type} audio is not accepted as reference audio (routers.core.stt.supported_formats: ${accepted.join(', ')}).`
          : `The file is not audio in an accepted format (${accepted.join(', ')}); the type is read from its content, not its name.`,
        { detected: type, supported_formats: accepted },
      );
    }
    const maxSeconds = this.config.current.routers.management.files.referenceAudio.maxAudioSeconds;
    let seconds: number;
    try {
      const decoded = await this.transcoder.decode(
        upload.path,
        type,
        { sampleRate: MEASURE_SAMPLE_RATE, maxSeconds },
        signal,
      );
      seconds = decoded.durationSeconds;
    } catch (error) {
      if (error instanceof AudioTooLongError) {
        throw new AppError(
          'AUDIO_TOO_LONG',
          `Reference audio may be at most ${maxSeconds} s long (routers.management.files.reference_audio.max_audio_seconds).`,
          { max_audio_seconds: maxSeconds },
        );
      }
      if (error instanceof AudioFormatError) throw new AppError('INVALID_AUDIO', error.message);
      if (signal.aborted) throw new AppError('REQUEST_CANCELLED', 'The client cancelled the request.');
      throw error;
    }
    return {
      name: nameOf(upload, `reference.${type}`),
      contentType: AUDIO_CONTENT_TYPES[type],
      metadata: { format: type, duration_seconds: Math.round(seconds * 1000) / 1000 },
    };
  }

  private async checkVoiceDefinition(upload: ReceivedUpload): Promise<CheckedUpload> {
    const { definition, syntax } = parseVoiceDefinition(await readFile(upload.path));
    return {
      name: nameOf(upload, `${definition.name}.${syntax}`),
      contentType: syntax === 'json' ? 'application/json' : 'application/yaml',
      metadata: { voice: definition.name, engine: definition.engine, language: definition.language },
    };
  }

  private async checkOutput(upload: ReceivedUpload): Promise<CheckedUpload> {
    const type = upload.bytes > 0 ? await sniffAudioFile(upload.path) : null;
    return {
      name: nameOf(upload, type ? `output.${type}` : 'output'),
      contentType: type ? AUDIO_CONTENT_TYPES[type] : 'application/octet-stream',
      metadata: type ? { format: type } : {},
    };
  }
}
