/**
 * How study and rating errors from lib/ answer over HTTP. Input mistakes are
 * 400 with the field named, unknown ids 404 (for raters, also other raters'
 * assignments, so ids cannot be probed), state conflicts 409.
 */
import { HttpError, jsonError } from "@/app/_server/api";
import { StudyInputError } from "@/lib/studies/errors";
import { StudyNotFoundError, StudyStateError } from "@/lib/db/studies";
import { AssignmentNotFoundError, RatingConflictError, StudyNotOpenError } from "@/lib/db/ratings";

/** Runs `work`, turning known study errors into responses; anything else propagates (a logged 500). */
export async function studyErrorsAsHttp<T>(work: () => Promise<T>): Promise<T | Response> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof StudyInputError) throw new HttpError(400, error.message);
    if (error instanceof StudyNotFoundError || error instanceof AssignmentNotFoundError) throw new HttpError(404, error.message);
    if (error instanceof StudyStateError) throw new HttpError(409, error.message);
    if (error instanceof StudyNotOpenError) return jsonError(409, error.message, { code: "study-not-open", studyStatus: error.status });
    if (error instanceof RatingConflictError) return jsonError(409, error.message, { code: "conflict", current: error.current });
    throw error;
  }
}
