/**
 * A RecordingSource over arrays already in memory (tests, small imports): the
 * activations of every position of every context, a mask of which positions
 * are recorded (BOS/padding are not), delivered as batches of whole contexts.
 */
import crypto from "node:crypto";
import { RecordingInputError } from "./errors";
import type { RecordingBatch, RecordingSource } from "./types";

export interface InMemorySourceInput {
  nContexts: number;
  ctxLen: number;
  dIn: number;
  /** [nContexts, ctxLen] token ids */
  tokens: Int32Array;
  /** [nContexts, ctxLen, dIn] activations at every position (unrecorded ones are ignored) */
  activations: Float32Array;
  /** [nContexts, ctxLen] 1 where the token is recorded; all recorded when omitted */
  recorded?: Uint8Array;
  /** whole contexts per batch (default 8) */
  contextsPerBatch?: number;
  /** order in which contexts are delivered (default 0..nContexts-1) */
  contextOrder?: number[];
}

export function createInMemorySource(input: InMemorySourceInput): RecordingSource {
  const { nContexts, ctxLen, dIn, tokens, activations, recorded } = input;
  const perBatch = input.contextsPerBatch ?? 8;
  const order = input.contextOrder ?? Array.from({ length: nContexts }, (_, i) => i);
  if (activations.length !== nContexts * ctxLen * dIn) {
    throw new RecordingInputError(
      `in-memory source: activations must hold nContexts*ctxLen*dIn = ${nContexts * ctxLen * dIn} values, got ${activations.length}`,
    );
  }
  if (recorded && recorded.length !== nContexts * ctxLen) {
    throw new RecordingInputError(`in-memory source: recorded must hold nContexts*ctxLen = ${nContexts * ctxLen} flags`);
  }
  if (!Number.isInteger(perBatch) || perBatch < 1) {
    throw new RecordingInputError(`in-memory source: contextsPerBatch must be a positive integer, got ${perBatch}`);
  }
  const isRecorded = (i: number) => (recorded ? recorded[i] === 1 : true);
  let nTokens = 0;
  for (let i = 0; i < nContexts * ctxLen; i++) if (isRecorded(i)) nTokens++;

  function contiguousBatch(c0: number, nc: number): RecordingBatch {
    const start = c0 * ctxLen;
    const n = nc * ctxLen;
    const contextIds = new Int32Array(n);
    const positions = new Int32Array(n);
    for (let t = 0; t < n; t++) {
      contextIds[t] = c0 + Math.floor(t / ctxLen);
      positions[t] = t % ctxLen;
    }
    return {
      nTokens: n,
      contextIds,
      positions,
      tokenIds: tokens.subarray(start, start + n),
      activations: activations.subarray(start * dIn, (start + n) * dIn),
    };
  }

  async function* batches(fromBatch = 0): AsyncGenerator<RecordingBatch> {
    for (let b = fromBatch * perBatch; b < order.length; b += perBatch) {
      const ctxs = order.slice(b, b + perBatch);
      // Whole consecutive contexts, all recorded: views into the arrays, no copy (benchmarks pass 1M-token sources).
      if (!recorded && ctxs.every((c, i) => c === ctxs[0] + i)) {
        yield contiguousBatch(ctxs[0], ctxs.length);
        continue;
      }
      const rows: number[] = [];
      for (const c of ctxs) for (let p = 0; p < ctxLen; p++) if (isRecorded(c * ctxLen + p)) rows.push(c * ctxLen + p);
      const n = rows.length;
      const batch: RecordingBatch = {
        nTokens: n,
        contextIds: new Int32Array(n),
        positions: new Int32Array(n),
        tokenIds: new Int32Array(n),
        activations: new Float32Array(n * dIn),
      };
      rows.forEach((row, t) => {
        batch.contextIds[t] = Math.floor(row / ctxLen);
        batch.positions[t] = row % ctxLen;
        batch.tokenIds[t] = tokens[row];
        batch.activations.set(activations.subarray(row * dIn, (row + 1) * dIn), t * dIn);
      });
      yield batch;
    }
  }

  return {
    nContexts,
    ctxLen,
    dIn,
    tokens,
    nTokens,
    batches,
    // Identifies the activations and their batching for a resumed recording (tokens are checked besides); hashed on demand.
    get fingerprint() {
      const h = crypto.createHash("sha256");
      h.update(JSON.stringify({ perBatch, order }));
      h.update(new Uint8Array(activations.buffer, activations.byteOffset, activations.byteLength));
      if (recorded) h.update(recorded);
      return h.digest("hex");
    },
  };
}
