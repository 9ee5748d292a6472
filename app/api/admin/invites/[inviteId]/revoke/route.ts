import { apiRoute } from "@/app/_server/api";
import { adminActionErrorsAsHttp } from "@/app/_server/admin-action-errors";
import { db } from "@/lib/db/client";
import { revokeInvite } from "@/lib/auth/admin-actions";

/** Revokes an unused invitation: its link stops working. */
export const POST = apiRoute("POST /api/admin/invites/[inviteId]/revoke", {}, async ({ user, params }) => {
  await adminActionErrorsAsHttp(() => revokeInvite(db(), user!.id, params.inviteId));
  return { ok: true };
});
