/**
 * Progress of a long read (an SAE import of gigabytes): bytes done of the
 * total, the rate, and the time left, reported at most every `intervalMs`
 * and once more at the end.
 */
import type { ByteCounter } from "@/lib/formats/file-range";

export interface ReadProgress {
  bytes: number;
  totalBytes: number;
  /** 0..1 */
  fraction: number;
  bytesPerSecond: number;
  etaSeconds: number | null;
}

export interface ProgressTracker {
  count: ByteCounter;
  /** the final report (fraction 1 when every byte came) */
  done(): ReadProgress;
}

export function trackProgress(totalBytes: number, report?: (p: ReadProgress) => void, intervalMs = 500): ProgressTracker {
  const started = performance.now();
  let bytes = 0;
  let last = 0;
  const snapshot = (): ReadProgress => {
    const seconds = Math.max(1e-3, (performance.now() - started) / 1000);
    const bytesPerSecond = bytes / seconds;
    return {
      bytes,
      totalBytes,
      fraction: totalBytes > 0 ? Math.min(1, bytes / totalBytes) : 1,
      bytesPerSecond,
      etaSeconds: bytesPerSecond > 0 ? Math.max(0, (totalBytes - bytes) / bytesPerSecond) : null,
    };
  };
  return {
    count(n) {
      bytes += n;
      const now = performance.now();
      if (report && now - last >= intervalMs) {
        last = now;
        report(snapshot());
      }
    },
    done() {
      const s = snapshot();
      report?.(s);
      return s;
    },
  };
}
