import type { Logger } from 'pino';
import { PinoLogger } from 'nestjs-pino';

/**
 * nestjs-pino's PinoLogger bound to this gateway's own root logger. nestjs-pino keeps one
 * root logger per process (built from the first params it sees); a process may build
 * several gateways (the tests do), each with its own destination and level, so every
 * line must go to the logger of the gateway that wrote it. The request id comes from the
 * root logger's mixin, inside requests and out.
 */
export class GatewayPinoLogger extends PinoLogger {
  constructor(private readonly root: Logger) {
    super({ pinoHttp: { logger: root } });
  }

  override get logger(): Logger {
    return this.root;
  }
}
