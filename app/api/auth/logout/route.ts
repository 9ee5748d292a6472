import { NextResponse } from "next/server";
import { apiRoute } from "@/app/_server/api";
import { db } from "@/lib/db/client";
import { deleteSession, SESSION_COOKIE } from "@/lib/auth/sessions";

export const POST = apiRoute("POST /api/auth/logout", {}, async ({ request }) => {
  const token = request.cookies.get(SESSION_COOKIE)?.value;
  if (token) await deleteSession(db(), token);
  const response = NextResponse.json({ ok: true });
  response.cookies.delete(SESSION_COOKIE);
  return response;
});
