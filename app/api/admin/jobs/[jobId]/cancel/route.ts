import { apiRoute, HttpError } from "@/app/_server/api";
import { cancelJob } from "@/lib/db/jobs";
import { queueClient } from "@/lib/queue/client";

export const POST = apiRoute("POST /api/admin/jobs/[jobId]/cancel", {}, async ({ params }) => {
  const { pool, boss } = await queueClient();
  const cancelled = await cancelJob(pool, boss, params.jobId);
  if (cancelled.length === 0) throw new HttpError(409, "Nothing to cancel: the job does not exist or has already finished.");
  return { cancelled };
});
