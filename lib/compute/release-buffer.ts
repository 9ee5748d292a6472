/**
 * Frees an ArrayBuffer's memory now instead of at a later garbage collection.
 *
 * Why: onnxruntime-node returns every output as a fresh ArrayBuffer holding a
 * copy of it, even an output it wrote into a buffer we gave it (measured with
 * onnxruntime-node 1.30). The training step's encoder GEMM thus leaves 4 * B *
 * dSae bytes of garbage a step (2 MiB at the demo's size), outside V8's heap;
 * V8 answers that external memory with full mark-compacts: about 1 ms a step
 * at the demo's size, as much as the GEMM itself (docs/sae-engine.md).
 * Detaching the copy at once with ArrayBuffer.prototype.transfer(0) frees it
 * and the collections stop.
 *
 * transfer is standard (ES2024) and built into Node 22 and later. Node 20
 * (V8 11.3) has it behind the harmony flag only, which takes effect in
 * contexts created after it is set: the function is taken from a fresh vm
 * context (a builtin works on any context's ArrayBuffer). Without either,
 * nothing is freed early and the collections stay as they were.
 */
import v8 from "node:v8";
import vm from "node:vm";

type Transfer = (this: ArrayBuffer, newLength?: number) => ArrayBuffer;

let transfer: Transfer | null | undefined;

function transferFunction(): Transfer | null {
  if (transfer !== undefined) return transfer;
  const native = (ArrayBuffer.prototype as { transfer?: Transfer }).transfer;
  if (typeof native === "function") return (transfer = native);
  try {
    v8.setFlagsFromString("--harmony-rab-gsab-transfer");
    const flagged: unknown = vm.runInNewContext("ArrayBuffer.prototype.transfer");
    transfer = typeof flagged === "function" ? (flagged as Transfer) : null;
  } catch {
    transfer = null;
  }
  return transfer;
}

/** Detaches `buffer` (its views read length 0 afterwards) and frees its memory, where the runtime allows. */
export function releaseBuffer(buffer: ArrayBufferLike): void {
  const t = transferFunction();
  if (t && buffer instanceof ArrayBuffer) t.call(buffer, 0);
}
