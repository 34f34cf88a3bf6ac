import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import type { ConfigService } from '../../config/config.service.js';
import type { GatewayMetrics } from './gateway-metrics.js';

/**
 * `metrics.port`: /metrics without authentication on a port of its own, for a Prometheus
 * on a private network that cannot hold an API key. Only GET /metrics is served; it still
 * follows metrics.enabled live.
 */
export class MetricsPortServer {
  private server?: Server;

  constructor(
    private readonly metrics: GatewayMetrics,
    private readonly config: ConfigService,
    private readonly logger: Logger,
  ) {}

  async listen(port: number, host: string): Promise<number> {
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
        return;
      }
      if (!this.config.current.metrics.enabled) {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('metrics are switched off\n');
        return;
      }
      this.metrics.exposition().then(
        ({ contentType, body }) => {
          res.writeHead(200, { 'Content-Type': contentType });
          res.end(req.method === 'HEAD' ? undefined : body);
        },
        (error: unknown) => {
          this.logger.error({ err: error }, 'metrics exposition failed');
          res.writeHead(500, { 'Content-Type': 'text/plain' }).end('metrics unavailable\n');
        },
      );
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    const bound = typeof address === 'object' && address ? address.port : port;
    this.logger.info({ port: bound, host }, 'metrics listening (no authentication)');
    return bound;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
