import { apiRoute } from "@/app/_server/api";
import { db } from "@/lib/db/client";
import { listPipelinesWithJobs } from "@/lib/db/jobs";

export const dynamic = "force-dynamic";

export const GET = apiRoute("GET /api/admin/jobs", {}, async () => ({ pipelines: await listPipelinesWithJobs(db()) }));
