import { apiRoute } from "@/app/_server/api";
import { adminActionErrorsAsHttp } from "@/app/_server/admin-action-errors";
import { db } from "@/lib/db/client";
import { endUserSessions } from "@/lib/auth/admin-actions";

/** Signs the user out everywhere. */
export const POST = apiRoute("POST /api/admin/users/[userId]/end-sessions", {}, async ({ user, params }) => ({
  ended: await adminActionErrorsAsHttp(() => endUserSessions(db(), user!.id, params.userId)),
}));
