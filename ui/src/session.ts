/** The API key lives in this tab's sessionStorage only: never in a URL, gone when the tab closes. */
const KEY_NAME = 'speech-gateway.api-key';

export function storedKey(): string | null {
  return sessionStorage.getItem(KEY_NAME);
}

export function storeKey(key: string): void {
  sessionStorage.setItem(KEY_NAME, key);
}

export function forgetKey(): void {
  sessionStorage.removeItem(KEY_NAME);
}
