/** The folders the files module manages; each is a folder under the configured paths. */
export const FILE_FOLDERS = ['reference_audio', 'voices', 'outputs'] as const;
export type FileFolder = (typeof FILE_FOLDERS)[number];

export function isFileFolder(value: string): value is FileFolder {
  return (FILE_FOLDERS as readonly string[]).includes(value);
}
