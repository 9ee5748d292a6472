/** Errors of live text tests, each with a message a person can act on. */

/** The request itself is wrong (empty or too long text, bad feature index): a 400. */
export class LiveInputError extends Error {
  override name = "LiveInputError";
}

/** The SAE or model cannot be run live (no saved weights, missing files): a 409. */
export class LiveUnavailableError extends Error {
  override name = "LiveUnavailableError";
}

/** Too many live tests at once or from one user: a 429. */
export class LiveBusyError extends Error {
  override name = "LiveBusyError";
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}
