/** A recording input (source, batch, codes, matrices) broke its contract; the message says which field and how to fix it. */
export class RecordingInputError extends Error {
  override name = "RecordingInputError";
}
