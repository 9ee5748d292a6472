/** A recording input (source, batch, codes, matrices) broke its contract; the message says which field and how to fix it. */
export class RecordingInputError extends Error {
  override name = "RecordingInputError";
}

/** A recording was stopped by its abort signal (after saving its checkpoint, when it has one). */
export class RecordingAbortedError extends Error {
  override name = "RecordingAbortedError";
}
