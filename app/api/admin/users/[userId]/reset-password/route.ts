import { apiRoute } from "@/app/_server/api";
import { adminActionErrorsAsHttp } from "@/app/_server/admin-action-errors";
import { db } from "@/lib/db/client";
import { resetUserPassword } from "@/lib/auth/admin-actions";

/** Sets a generated password, shown to the admin once, and ends the user's sessions. */
export const POST = apiRoute("POST /api/admin/users/[userId]/reset-password", {}, async ({ user, params }) => ({
  password: await adminActionErrorsAsHttp(() => resetUserPassword(db(), user!.id, params.userId)),
}));
