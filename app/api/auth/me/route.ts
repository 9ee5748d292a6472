import { apiRoute } from "@/app/_server/api";

export const dynamic = "force-dynamic";

/** Who is signed in ({ user: null } when nobody): the navigation on dashboard snapshots asks after load. */
export const GET = apiRoute("GET /api/auth/me", {}, async ({ user }) => ({ user: user && { name: user.name, role: user.role } }));
