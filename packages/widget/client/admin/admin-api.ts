// The admin console's client of the server's admin API (Bearer token from sessionStorage).

const TOKEN_KEY = 'hurdle-admin-token';

export interface Site {
  sitekey: string;
  name: string;
  hostnames: string[];
  challengeTypes: ('slide' | 'pow')[];
  difficulty: number;
  powAlgorithm?: 'sha256' | 'scrypt';
  imageSet?: string;
  rateLimitPerSecond?: number;
  keyboardSolve?: boolean;
  enabled: boolean;
  createdAt?: number;
  updatedAt?: number;
  secretRotationEndsAt?: number | null;
}

export type SiteInput = Partial<Pick<Site, 'name' | 'hostnames' | 'challengeTypes' | 'difficulty' | 'powAlgorithm' | 'rateLimitPerSecond' | 'keyboardSolve' | 'enabled' | 'imageSet'>>;

export class AdminApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

export function getToken(): string {
  try { return sessionStorage.getItem(TOKEN_KEY) ?? ''; } catch { return ''; }
}

export function setToken(token: string): void {
  try {
    if (token === '') sessionStorage.removeItem(TOKEN_KEY);
    else sessionStorage.setItem(TOKEN_KEY, token);
  } catch { /* storage disabled: the token lives for this page only */ }
  memoryToken = token;
}

let memoryToken = '';

export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const token = getToken() || memoryToken;
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(`/admin/api/${path}`, { method, headers, body: body === undefined ? null : JSON.stringify(body), cache: 'no-store' });
  } catch {
    throw new AdminApiError(0, 'network', 'The Hurdle service did not answer.');
  }
  const data = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) {
    throw new AdminApiError(response.status, String(data['code'] ?? `http_${response.status}`), String(data['message'] ?? response.statusText));
  }
  return data as T;
}

/** A text answer of the admin API (the analytics CSV). */
export async function callText(path: string): Promise<string> {
  const token = getToken() || memoryToken;
  let response: Response;
  try {
    response = await fetch(`/admin/api/${path}`, { headers: { authorization: `Bearer ${token}` }, cache: 'no-store' });
  } catch {
    throw new AdminApiError(0, 'network', 'The Hurdle service did not answer.');
  }
  if (!response.ok) {
    const data = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    throw new AdminApiError(response.status, String(data['code'] ?? `http_${response.status}`), String(data['message'] ?? response.statusText));
  }
  return response.text();
}

/**
 * The grace choices of "Rotate secret". The first is the API's default (no grace: the old
 * secret stops at once), so the console does what a bare API call does unless told otherwise.
 */
export const GRACE_CHOICES: readonly (readonly [ms: number, label: string])[] = [
  [0, 'None: the old secret stops working now (the API default)'],
  [3_600_000, '1 hour'],
  [86_400_000, '1 day'],
  [7 * 86_400_000, '7 days'],
  [30 * 86_400_000, '30 days (the longest allowed)'],
];

/** Sites from `GET /admin/api/sites` (a bare array or `{ sites: [...] }`). */
export async function listSites(): Promise<Site[]> {
  const data = await call<unknown>('GET', 'sites');
  if (Array.isArray(data)) return data as Site[];
  const sites = (data as { sites?: unknown }).sites;
  return Array.isArray(sites) ? (sites as Site[]) : [];
}

/** Pulls `{ site, secret }` out of a create/rotate answer, whatever its nesting. */
export function siteAndSecret(data: unknown): { site: Site | undefined; secret: string | undefined } {
  const obj = (data ?? {}) as Record<string, unknown>;
  const site = (typeof obj['site'] === 'object' && obj['site'] !== null ? obj['site'] : typeof obj['sitekey'] === 'string' ? obj : undefined) as Site | undefined;
  const secret = typeof obj['secret'] === 'string' ? obj['secret'] : undefined;
  return { site, secret };
}
