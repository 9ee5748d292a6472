/**
 * Sample values for route parameters, read from the seeded e2e database, so
 * the access matrix can request every route with real ids. Each area adds the
 * parameters its routes use.
 */
import type { Db } from "@/lib/db/client";

export async function sampleParams(db: Db): Promise<Record<string, string>> {
  const samples: Record<string, string> = {
    token: "not-a-real-invitation-token",
    // Admin account actions are checked on ids that do not exist (a 404 is still "allowed"): the matrix
    // must not disable, sign out or reset the password of a user whom another spec is logged in as.
    userId: "no-such-user",
    inviteId: "no-such-invitation",
  };
  const sae = await db.sae.findFirst({ orderBy: { createdAt: "asc" } });
  if (sae) {
    samples.saeId = sae.id;
    samples.index = "0";
  }
  const study = await db.study.findFirst({ orderBy: { createdAt: "asc" } });
  if (study) samples.studyId = study.id;
  const assignment = await db.assignment.findFirst({ orderBy: { createdAt: "asc" } });
  if (assignment) samples.assignmentId = assignment.id;
  const pipeline = await db.pipeline.findFirst({ orderBy: { createdAt: "asc" } });
  if (pipeline) samples.pipelineId = pipeline.id;
  const job = await db.job.findFirst({ orderBy: { createdAt: "asc" } });
  if (job) samples.jobId = job.id;
  // Never a real one: an allowed viewer deleting someone else's explanation is rightly 403, and the matrix must not delete seed data.
  samples.explanationId = "no-such-explanation";
  return samples;
}
