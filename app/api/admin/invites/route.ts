import { z } from "zod";
import { apiRoute } from "@/app/_server/api";
import { db } from "@/lib/db/client";
import { inviteUser } from "@/lib/auth/admin-actions";

const body = z.object({ email: z.string().trim().email("enter the invitee's email address").max(320), role: z.enum(["RATER", "VIEWER"]) });

export const POST = apiRoute("POST /api/admin/invites", { body }, async ({ request, user, body: { email, role } }) => {
  const token = await inviteUser(db(), user!.id, email, role);
  return { link: `${request.nextUrl.origin}/invite/${token}` };
});
