import { z } from "zod";
import { apiRoute, HttpError } from "@/app/_server/api";
import { db } from "@/lib/db/client";
import { AccountError, redeemInvite } from "@/lib/auth/accounts";
import { MIN_PASSWORD_LENGTH } from "@/lib/auth/passwords";

const body = z.object({
  token: z.string().min(10).max(200),
  name: z.string().trim().min(1, "enter your name").max(100),
  password: z.string().min(MIN_PASSWORD_LENGTH, `use at least ${MIN_PASSWORD_LENGTH} characters`).max(1000),
});

export const POST = apiRoute("POST /api/invites/accept", { body }, async ({ body: { token, name, password } }) => {
  try {
    await redeemInvite(db(), token, name, password);
  } catch (error) {
    if (error instanceof AccountError) throw new HttpError(400, error.message);
    throw error;
  }
  return { ok: true };
});
