/**
 * The browser's REST client: same-origin `/api/v1`, cookies included, JSON in and out.
 * Every failure becomes an {@link ApiError} carrying the server's code, message, field
 * details and request id, so screens can show something a person can act on.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string | null,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** Field errors as `{ '/path': 'message' }`, when the server sent them. */
  get fieldErrors(): Record<string, string> {
    if (!Array.isArray(this.details)) return {};
    const out: Record<string, string> = {};
    for (const item of this.details as Array<{ path?: string; message?: string }>)
      if (item.path) out[item.path] = item.message ?? 'invalid';
    return out;
  }
}

/** Called on 401 so the shell can send the person to sign-in. */
let onUnauthenticated: (() => void) | undefined;

/** Registers what to do when the session has expired. */
export function handleUnauthenticated(handler: () => void): void {
  onUnauthenticated = handler;
}

/** Performs a request against `/api/v1`. */
export async function api<T>(
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
  init: { query?: Record<string, string | number | undefined | null> } = {},
): Promise<T> {
  const url = new URL(`/api/v1${path}`, window.location.origin);
  for (const [key, value] of Object.entries(init.query ?? {}))
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, String(value));
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network', 'Cannot reach the server. Check your connection.', null);
  }
  const requestId = response.headers.get('x-request-id');
  const text = await response.text();
  const json = text ? (JSON.parse(text) as unknown) : undefined;
  if (!response.ok) {
    const error = (json as { error?: { code?: string; message?: string; details?: unknown; request_id?: string } } | undefined)?.error;
    if (response.status === 401 && error?.code === 'unauthenticated' && !path.startsWith('/auth/')) onUnauthenticated?.();
    throw new ApiError(
      response.status,
      error?.code ?? 'http_error',
      error?.message ?? `Request failed (${response.status})`,
      error?.request_id ?? requestId,
      error?.details,
    );
  }
  return json as T;
}

/** A person-readable message for any error, with the request id when there is one. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return error.requestId ? `${error.message} (request ${error.requestId})` : error.message;
  return error instanceof Error ? error.message : 'Something went wrong.';
}
