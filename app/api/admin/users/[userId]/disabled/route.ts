import { z } from "zod";
import { apiRoute } from "@/app/_server/api";
import { adminActionErrorsAsHttp } from "@/app/_server/admin-action-errors";
import { db } from "@/lib/db/client";
import { setUserDisabled } from "@/lib/auth/admin-actions";

const body = z.object({ disabled: z.boolean() });

/** Disable (which also ends the user's sessions) or re-enable an account. */
export const POST = apiRoute("POST /api/admin/users/[userId]/disabled", { body }, async ({ user, params, body: { disabled } }) => {
  await adminActionErrorsAsHttp(() => setUserDisabled(db(), user!.id, params.userId, disabled));
  return { ok: true, disabled };
});
