/** Raised for malformed or unsupported tensor files; the message names the file and the problem. */
export class TensorFormatError extends Error {
  override name = "TensorFormatError";
}
