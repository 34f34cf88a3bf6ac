import { Injectable, type PipeTransform } from '@nestjs/common';
import { AppError } from '../common/app-error.js';
import { FILE_FOLDERS, type FileFolder, isFileFolder } from './file-folder.js';

/** The `folder` path parameter: one of the managed folders, else 404 NOT_FOUND naming them. */
@Injectable()
export class FolderParamPipe implements PipeTransform<string, FileFolder> {
  transform(value: string): FileFolder {
    if (typeof value !== 'string' || !isFileFolder(value)) {
      const shown = typeof value === 'string' ? value.slice(0, 64) : '';
      throw new AppError('NOT_FOUND', `Unknown folder '${shown}'; use one of ${FILE_FOLDERS.join(', ')}.`);
    }
    return value;
  }
}
