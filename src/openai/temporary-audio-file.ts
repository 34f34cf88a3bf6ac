import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Owner-only, as uploads are: another local account can neither list nor read them. */
const FOLDER_MODE = 0o700;
const FILE_MODE = 0o600;

/**
 * Runs `work` on `audio` written to a private temporary file under `tempDir` (its own
 * folder, owner-only), and deletes the file and its folder whatever `work` does.
 */
export async function withTemporaryAudioFile<T>(
  tempDir: string,
  audio: Buffer,
  work: (file: { path: string; bytes: number }) => Promise<T>,
): Promise<T> {
  await mkdir(tempDir, { recursive: true, mode: FOLDER_MODE });
  const folder = await mkdtemp(join(tempDir, 'chat-audio-'));
  try {
    const path = join(folder, 'audio');
    await writeFile(path, audio, { mode: FILE_MODE });
    return await work({ path, bytes: audio.length });
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
