import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Enveloped } from '../../common/envelope.js';
import { IdParamPipe } from '../../common/id-param.pipe.js';
import { TokenParamPipe } from '../../common/token-param.pipe.js';
import { AccountsService } from '../accounts.service.js';
import { apiKeyJson } from '../api-key.js';
import { AdminOnly } from '../auth/access.decorator.js';
import { userJson } from '../user.js';
import { CreateKeyDto, RotateKeyDto } from './dto/create-key.dto.js';
import { CreateUserDto } from './dto/create-user.dto.js';
import { UpdateUserDto } from './dto/update-user.dto.js';
import { PageQueryDto } from './dto/usage-query.dto.js';

/** Every :id of these routes is a user id. */
const USER_ID = new IdParamPipe('user');
const KEY_SHOWN_ONCE = 'Key created. The key is shown only in this answer; store it now.';

@ApiTags('admin')
@ApiBearerAuth()
@AdminOnly()
@Controller('admin/users')
export class AdminUsersController {
  constructor(private readonly accounts: AccountsService) {}

  @Post()
  @ApiOperation({ summary: 'Create a user (quota defaults to the plan’s)' })
  async create(@Body() body: CreateUserDto) {
    const user = await this.accounts.createUser({
      name: body.name,
      email: body.email,
      plan: body.plan,
      quotaSeconds: body.quota_seconds,
      isAdmin: body.is_admin,
    });
    return new Enveloped(userJson(user), 'User created.');
  }

  @Get()
  @ApiOperation({ summary: 'List users' })
  async list(@Query() query: PageQueryDto) {
    const users = await this.accounts.listUsers(query.limit ?? 100, query.offset ?? 0);
    return { users: users.map(userJson) };
  }

  @Get(':id')
  async get(@Param('id', USER_ID) id: number) {
    return userJson(await this.accounts.getUser(id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change name, plan, quota, used seconds or active state' })
  async update(@Param('id', USER_ID) id: number, @Body() body: UpdateUserDto) {
    const user = await this.accounts.updateUser(id, {
      name: body.name,
      plan: body.plan,
      quotaSeconds: body.quota_seconds,
      usedSeconds: body.used_seconds,
      isActive: body.is_active,
    });
    return userJson(user);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Deactivate a user (their keys stop working; rows are kept)' })
  async deactivate(@Param('id', USER_ID) id: number) {
    return userJson(await this.accounts.updateUser(id, { isActive: false }));
  }

  @Post(':id/keys')
  @ApiOperation({ summary: 'Issue a key; the answer is the only time the key is shown' })
  async createKey(@Param('id', USER_ID) id: number, @Body() body: CreateKeyDto) {
    const issued = await this.accounts.issueKey(id, {
      name: body.name ?? 'default',
      scopes: body.scopes,
      expiresAt: body.expires_at ? new Date(body.expires_at) : null,
    });
    return new Enveloped({ api_key: issued.token, ...apiKeyJson(issued.key) }, KEY_SHOWN_ONCE);
  }

  @Get(':id/keys')
  @ApiOperation({ summary: 'A user’s keys, without secrets' })
  async listKeys(@Param('id', USER_ID) id: number) {
    await this.accounts.getUser(id);
    return { keys: (await this.accounts.keysOf(id)).map(apiKeyJson) };
  }

  @Delete(':id/keys/:keyId')
  @ApiOperation({ summary: 'Revoke a key now' })
  async revokeKey(@Param('id', USER_ID) id: number, @Param('keyId', TokenParamPipe) keyId: string) {
    await this.accounts.revokeKey(id, keyId);
    return apiKeyJson(await this.accounts.keyOf(id, keyId));
  }

  @Post(':id/keys/:keyId/rotate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Issue a successor key; the old one works for the grace period' })
  async rotateKey(
    @Param('id', USER_ID) id: number,
    @Param('keyId', TokenParamPipe) keyId: string,
    @Body() body: RotateKeyDto,
  ) {
    const issued = await this.accounts.rotateKey(id, keyId, body.grace_hours);
    return new Enveloped(
      {
        api_key: issued.token,
        ...apiKeyJson(issued.key),
        replaces: apiKeyJson(await this.accounts.keyOf(id, keyId)),
      },
      KEY_SHOWN_ONCE,
    );
  }
}
