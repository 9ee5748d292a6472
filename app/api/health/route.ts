import { apiRoute } from "@/app/_server/api";
import { db } from "@/lib/db/client";

export const dynamic = "force-dynamic";

export const GET = apiRoute("GET /api/health", {}, async () => {
  await db().$queryRaw`select 1`;
  return { ok: true };
});
