import { apiRoute, HttpError } from "@/app/_server/api";
import { retryJob } from "@/lib/db/jobs";
import { queueClient } from "@/lib/queue/client";

export const POST = apiRoute("POST /api/admin/jobs/[jobId]/retry", {}, async ({ params }) => {
  const { pool, boss } = await queueClient();
  const requeued = await retryJob(pool, boss, params.jobId);
  if (requeued.length === 0) throw new HttpError(409, "Only a failed or cancelled job can be retried.");
  return { requeued };
});
