import Pusher from 'pusher';
import type { PusherConfig } from '../config/config.schema.js';

/** The official server SDK's client for `realtime.pusher` (cluster, or host/port of a compatible server). */
export function pusherClientOf(settings: PusherConfig): Pusher {
  const base = {
    appId: settings.appId,
    key: settings.key,
    secret: settings.secret,
    useTLS: settings.useTls,
    timeout: settings.timeoutMs,
  };
  if (settings.host) {
    return new Pusher({
      ...base,
      host: settings.host,
      ...(settings.port ? { port: String(settings.port) } : {}),
    });
  }
  return new Pusher({ ...base, cluster: settings.cluster ?? 'mt1' });
}

/** The private channel a user's job events go to, e.g. `private-user-42`. */
export function userChannelOf(settings: PusherConfig, userId: number): string {
  return `${settings.channelPrefix}${userId}`;
}
