/** Admin account actions' refusals as HTTP errors (404 unknown user or invitation, 409 not possible now). */
import { HttpError } from "@/app/_server/api";
import { AdminActionError } from "@/lib/auth/admin-actions";

export async function adminActionErrorsAsHttp<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof AdminActionError) throw new HttpError(error.status, error.message);
    throw error;
  }
}
