"use client";

export interface WhoAmI {
  name: string;
  role: string;
}

let asked: Promise<WhoAmI | null> | null = null;

/** The signed-in user as `GET /api/auth/me` says, asked once per page load (dashboard snapshots have no user in them). */
export function whoAmI(): Promise<WhoAmI | null> {
  asked ??= fetch("/api/auth/me")
    .then((r) => (r.ok ? (r.json() as Promise<{ user: WhoAmI | null }>) : { user: null }))
    .then((body) => body.user)
    .catch(() => null);
  return asked;
}
