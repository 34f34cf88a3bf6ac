import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { BOOT_OPTIONS } from '../common/injection-tokens.js';
import type { GatewayRuntimeInfo } from '../gateway-runtime-info.js';

export const FILE_FOLDERS = ['reference_audio', 'voices', 'outputs'] as const;
export type FileFolder = (typeof FILE_FOLDERS)[number];

export interface StoredFile {
  name: string;
  size_bytes: number;
  modified_at: string;
}

/** Lists what operators keep in the managed folders (reference audio, voices, outputs). */
@Injectable()
export class FilesService {
  constructor(@Inject(BOOT_OPTIONS) private readonly runtime: GatewayRuntimeInfo) {}

  async list(folder: FileFolder): Promise<StoredFile[]> {
    const path = this.pathOf(folder);
    const entries = await readdir(path, { withFileTypes: true });
    const files = await Promise.all(
      entries
        .filter((entry) => entry.isFile() && !entry.name.startsWith('.'))
        .map(async (entry) => {
          const info = await stat(join(path, entry.name));
          return { name: entry.name, size_bytes: info.size, modified_at: info.mtime.toISOString() };
        }),
    );
    return files.sort((a, b) => a.name.localeCompare(b.name));
  }

  private pathOf(folder: FileFolder): string {
    switch (folder) {
      case 'reference_audio':
        return this.runtime.folders.referenceAudio;
      case 'voices':
        return this.runtime.folders.voices;
      case 'outputs':
        return this.runtime.folders.outputs;
    }
  }
}
