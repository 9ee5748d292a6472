/**
 * Evaluation metrics of an SAE on held-out activations (PAPER.md "How SAEs
 * are judged"), accumulated batch by batch:
 *   L0     mean active features per token
 *   FVU    E||x - x_hat||^2 / E||x - E[x]||^2, numerator and denominator
 *          averaged separately over tokens, mean-centred (not around zero)
 *   MSE    mean over tokens of ||x - x_hat||^2 (raw units)
 *   cosine mean over tokens of cos(x, x_hat)
 *   feature frequencies: dead count, log10-frequency histogram, features
 *   firing on more than 10% of tokens.
 */
/** A feature firing on more than this share of tokens is "dense" (the paper's > 10% features). */
export const DENSE_THRESHOLD = 0.1;

export interface SaeMetrics {
  tokens: number;
  l0: number;
  fvu: number;
  mse: number;
  cosine: number;
  deadFeatures: number;
  /** features firing on more than 10% of tokens: count and share of dSae */
  denseFeatures: number;
  denseFeatureShare: number;
  /** histogram of log10 firing frequency over features that fired; bin i covers [edges[i], edges[i+1]) */
  densityHistogram: { edges: number[]; counts: number[] };
}

export class MetricsAccumulator {
  private tokens = 0;
  private active = 0;
  private errSq = 0;
  private xSq = 0;
  private readonly xSum: Float64Array;
  private cosSum = 0;
  readonly fires: Float64Array;

  constructor(
    readonly dIn: number,
    readonly dSae: number,
    /** multiply squared errors by this (C^2 turns training units into raw units) */
    private readonly sqScale = 1,
  ) {
    this.xSum = new Float64Array(dIn);
    this.fires = new Float64Array(dSae);
  }

  /** x [B, dIn], err = x_hat - x [B, dIn], codes CSR (val > 0 counts as firing). */
  add(x: Float32Array, err: Float32Array, B: number, codes: { rowPtr: Int32Array; idx: Int32Array; val: Float32Array }): void {
    const d = this.dIn;
    for (let t = 0; t < B; t++) {
      let ee = 0;
      let xx = 0;
      let xh = 0;
      let hh = 0;
      for (let k = 0; k < d; k++) {
        const xi = x[t * d + k];
        const e = err[t * d + k];
        const h = xi + e;
        ee += e * e;
        xx += xi * xi;
        xh += xi * h;
        hh += h * h;
        this.xSum[k] += xi;
      }
      this.errSq += ee;
      this.xSq += xx;
      this.cosSum += xx > 0 && hh > 0 ? xh / Math.sqrt(xx * hh) : 0;
      for (let e = codes.rowPtr[t]; e < codes.rowPtr[t + 1]; e++)
        if (codes.val[e] > 0) {
          this.active++;
          this.fires[codes.idx[e]]++;
        }
    }
    this.tokens += B;
  }

  result(): SaeMetrics {
    const n = this.tokens;
    let meanSq = 0;
    for (let k = 0; k < this.dIn; k++) meanSq += (this.xSum[k] / n) ** 2;
    const variance = this.xSq / n - meanSq; // E||x - E[x]||^2
    let dead = 0;
    let dense = 0;
    const edges = Array.from({ length: 17 }, (_, i) => -8 + i * 0.5);
    const counts = new Array(edges.length - 1).fill(0);
    for (let j = 0; j < this.dSae; j++) {
      const f = this.fires[j] / n;
      if (f === 0) {
        dead++;
        continue;
      }
      if (f > DENSE_THRESHOLD) dense++;
      const b = Math.min(counts.length - 1, Math.max(0, Math.floor((Math.log10(f) - edges[0]) / 0.5)));
      counts[b]++;
    }
    return {
      tokens: n,
      l0: this.active / n,
      fvu: this.errSq / n / variance,
      mse: (this.errSq / n) * this.sqScale,
      cosine: this.cosSum / n,
      deadFeatures: dead,
      denseFeatures: dense,
      denseFeatureShare: dense / this.dSae,
      densityHistogram: { edges, counts },
    };
  }
}
