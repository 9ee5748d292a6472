"use client";
/** fetch() for our JSON API from the browser: adds the CSRF header and turns errors into messages. */
function csrfToken(): string {
  const match = document.cookie.match(/(?:^|; )fl_csrf=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** the whole JSON answer (e.g. a form's per-field issues) */
    readonly body: unknown = undefined,
  ) {
    super(message);
  }
}

export async function api<T = unknown>(path: string, options: { method?: string; body?: unknown } = {}): Promise<T> {
  const response = await fetch(path, {
    method: options.method ?? (options.body === undefined ? "GET" : "POST"),
    headers: { "content-type": "application/json", "x-csrf-token": csrfToken() },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    credentials: "same-origin",
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, (data as { error?: string }).error ?? `Request failed (${response.status}).`, data);
  return data as T;
}
