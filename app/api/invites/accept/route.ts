import { z } from "zod";
import { apiRoute, HttpError, retryLater } from "@/app/_server/api";
import { requestAddress } from "@/app/_server/client-address";
import { db } from "@/lib/db/client";
import { AccountError, redeemInvite } from "@/lib/auth/accounts";
import { beginInviteAttempt } from "@/lib/auth/attempt-limits";
import { newPasswordSchema } from "@/lib/auth/password-rules";

const body = z.object({
  token: z.string().min(10).max(200),
  name: z.string().trim().min(1, "enter your name").max(100),
  password: newPasswordSchema,
});

export const POST = apiRoute("POST /api/invites/accept", { body }, async ({ request, body: { token, name, password } }) => {
  const attempt = await beginInviteAttempt(requestAddress(request));
  if (!attempt.allowed) return retryLater("Too many invalid invitation links", attempt.retryAfterSeconds);
  try {
    await redeemInvite(db(), token, name, password);
  } catch (error) {
    if (error instanceof AccountError) throw new HttpError(400, error.message);
    throw error;
  }
  await attempt.succeeded();
  return { ok: true };
});
