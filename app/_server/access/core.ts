/** Access for the core pages and routes: login, invitations, users, health. */
import { ADMINS, EVERYONE_SIGNED_IN, type Audience } from "@/lib/auth/roles";

export const CORE_ACCESS = {
  "/": EVERYONE_SIGNED_IN,
  "/login": "public",
  "/invite/[token]": "public",
  "/admin/users": ADMINS,
  "POST /api/auth/login": "public",
  "POST /api/auth/logout": "public",
  "GET /api/auth/me": "public",
  "POST /api/invites/accept": "public",
  "POST /api/admin/invites": ADMINS,
  "POST /api/admin/invites/[inviteId]/revoke": ADMINS,
  "POST /api/admin/users/[userId]/disabled": ADMINS,
  "POST /api/admin/users/[userId]/end-sessions": ADMINS,
  "POST /api/admin/users/[userId]/reset-password": ADMINS,
  "GET /api/health": "public",
} as const satisfies Record<string, Audience>;
