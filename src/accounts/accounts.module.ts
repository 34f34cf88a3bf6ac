import { Global, Module } from '@nestjs/common';
import { AccountsService } from './accounts.service.js';
import { AdminUsageController } from './admin/admin-usage.controller.js';
import { AdminUsersController } from './admin/admin-users.controller.js';
import { ApiKeyService } from './api-key.service.js';
import { ApiKeysRepository } from './api-keys.repository.js';
import { ApiKeyGuard } from './auth/api-key.guard.js';
import { KeyChangeNotices } from './auth/key-change-notices.js';
import { BootstrapAdmin } from './bootstrap-admin.js';
import { MeController } from './me/me.controller.js';
import { MeteringService } from './metering.service.js';
import { QuotaRepository } from './quota.repository.js';
import { QuotaService } from './quota.service.js';
import { UsageRepository } from './usage.repository.js';
import { UsersRepository } from './users.repository.js';

/**
 * Accounts, API keys, quotas and usage. Global so that any feature can meter its engine
 * calls with MeteringService; the guard is registered app-wide by AppModule.
 */
@Global()
@Module({
  controllers: [AdminUsersController, AdminUsageController, MeController],
  providers: [
    UsersRepository,
    ApiKeysRepository,
    QuotaRepository,
    UsageRepository,
    ApiKeyService,
    KeyChangeNotices,
    AccountsService,
    QuotaService,
    MeteringService,
    BootstrapAdmin,
    ApiKeyGuard,
  ],
  exports: [AccountsService, ApiKeyService, MeteringService, QuotaService, ApiKeyGuard],
})
export class AccountsModule {}
