import { z } from "zod";
import { apiRoute } from "@/app/_server/api";
import { db } from "@/lib/db/client";
import { createInvite } from "@/lib/auth/accounts";

const body = z.object({ email: z.string().trim().email("enter the invitee's email address"), role: z.enum(["RATER", "VIEWER"]) });

export const POST = apiRoute("POST /api/admin/invites", { body }, async ({ request, user, body: { email, role } }) => {
  const token = await createInvite(db(), user!.id, email, role);
  return { link: `${request.nextUrl.origin}/invite/${token}` };
});
