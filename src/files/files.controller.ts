import {
  Controller,
  Delete,
  Get,
  Headers,
  Param,
  Post,
  Query,
  Req,
  Res,
  StreamableFile,
} from '@nestjs/common';
import { ApiConsumes, ApiOperation, ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Readable } from 'node:stream';
import type { Request, Response } from 'express';
import { RequireScope } from '../accounts/auth/access.decorator.js';
import { AppError } from '../common/app-error.js';
import { Enveloped } from '../common/envelope.js';
import { RawResponse } from '../common/raw-response.decorator.js';
import { TokenParamPipe } from '../common/token-param.pipe.js';
import { RouterGate } from '../config/router-gate.decorator.js';
import { abortWhenClientLeaves } from '../tts/client-abort.js';
import { byteRangeOf } from './byte-range.js';
import { attachmentDisposition } from './content-disposition.js';
import { FileListQueryDto } from './dto/file-list-query.dto.js';
import { fileCaller } from './file-caller.js';
import { FILE_FOLDERS, type FileFolder } from './file-folder.js';
import { operatorFileJson, storedFileJson } from './file-response.js';
import { FileStorageService } from './file-storage.service.js';
import { FileUploadService } from './file-upload.service.js';
import { FolderParamPipe } from './folder-param.pipe.js';

/** The body as a stream; a read failing mid-way cuts the connection (the status line is already out). */
function streamed(stream: Readable): StreamableFile {
  return new StreamableFile(stream).setErrorHandler((_error, res) => {
    // Nest's default answers 400 with the error's message (a path); the socket is cut instead.
    (res as unknown as Response).destroy();
  });
}

@ApiTags('files')
@RouterGate('management.files')
@RequireScope('files')
@Controller('files')
export class FilesController {
  constructor(
    private readonly storage: FileStorageService,
    private readonly uploads: FileUploadService,
  ) {}

  @Get(':folder')
  @ApiOperation({
    summary: 'Your files in reference_audio/, voices/ or outputs/ (admins: everyone’s), newest first',
    description: 'Paged with limit/offset; the total is in the X-Total-Count header.',
  })
  @ApiParam({ name: 'folder', enum: FILE_FOLDERS })
  async list(
    @Param('folder', FolderParamPipe) folder: FileFolder,
    @Query() query: FileListQueryDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    const { entries, total } = await this.storage.listFolder(folder, fileCaller(), {
      limit: query.limit ?? 100,
      offset: query.offset ?? 0,
    });
    res.setHeader('X-Total-Count', String(total));
    return entries.map((entry) =>
      entry.kind === 'stored' ? storedFileJson(entry.file) : operatorFileJson(folder, entry.file),
    );
  }

  @Post(':folder')
  @ApiOperation({
    summary: 'Upload a file (multipart, part "file"; optional field "name")',
    description:
      'reference_audio: audio (sniffed), length-limited; voices: a JSON/YAML voice definition; outputs: any bytes.',
  })
  @ApiParam({ name: 'folder', enum: FILE_FOLDERS })
  @ApiConsumes('multipart/form-data')
  async upload(
    @Param('folder', FolderParamPipe) folder: FileFolder,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ) {
    const stored = await this.uploads.upload(
      req,
      folder,
      fileCaller().userId,
      abortWhenClientLeaves(req, res),
    );
    res.setHeader('Location', `/files/${stored.folder}/${stored.id}`);
    return new Enveloped(storedFileJson(stored), 'File stored.');
  }

  @Get(':folder/:id')
  @RawResponse()
  @ApiOperation({ summary: 'Download a file (Range requests answered with 206)' })
  @ApiParam({ name: 'folder', enum: FILE_FOLDERS })
  @ApiProduces('application/octet-stream')
  async download(
    @Param('folder', FolderParamPipe) folder: FileFolder,
    @Param('id', TokenParamPipe) id: string,
    @Headers('range') rangeHeader: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<StreamableFile> {
    const opened = await this.storage.open(id, fileCaller(), folder);
    const size = opened.file.sizeBytes;
    const range = byteRangeOf(rangeHeader, size);
    if (range.kind === 'unsatisfiable') {
      throw new AppError(
        'RANGE_NOT_SATISFIABLE',
        `The range is outside the file (${size} bytes).`,
        { size_bytes: size },
        { 'Content-Range': `bytes */${size}` },
      );
    }
    res.setHeader('Content-Type', opened.file.contentType);
    res.setHeader('Content-Disposition', attachmentDisposition(opened.file.name));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('Cache-Control', 'private, no-cache');
    res.setHeader('ETag', `"${opened.file.id}"`);
    if (range.kind === 'partial') {
      res.status(206);
      res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${size}`);
      res.setHeader('Content-Length', String(range.end - range.start + 1));
      return streamed(opened.read(range));
    }
    res.setHeader('Content-Length', String(size));
    return streamed(opened.read());
  }

  @Delete(':folder/:id')
  @ApiOperation({ summary: 'Delete a file (yours; admins any)' })
  @ApiParam({ name: 'folder', enum: FILE_FOLDERS })
  async delete(
    @Param('folder', FolderParamPipe) folder: FileFolder,
    @Param('id', TokenParamPipe) id: string,
  ) {
    const deleted = await this.storage.delete(id, fileCaller(), folder);
    return new Enveloped({ id: deleted.id, deleted: true }, 'File deleted.');
  }
}
