import { WebGpuBackend } from "@/lib/compute/webgpu/backend";
import { gemm } from "@/lib/compute/webgpu/kernels/gemm";
import { rowTopKCut } from "@/lib/compute/webgpu/kernels/select";
import { reduceToScalar, columnSums } from "@/lib/compute/webgpu/kernels/reduce";
import { residualRows } from "@/lib/compute/webgpu/kernels/rows";
const be = await WebGpuBackend.create();
const g = be.gpu;
const B = 128, d = 32, m = 128;
const A = g.buffer("A", B * m), W = g.buffer("W", m * d), C = g.buffer("C", B * m), X = g.buffer("X", B * d), s = g.buffer("s", 16), cut = g.buffer("cut", B), since = g.buffer("since", m), r1 = g.buffer("r1", B), r2 = g.buffer("r2", B), mean = g.buffer("mean", d), Y = g.buffer("Y", B*d), G = g.buffer("G", B*d);
g.upload(A, Float32Array.from({ length: B * m }, () => Math.random()));
async function time(name: string, f: (rec: any) => void, n = 10) {
  for (let w = 0; w < 2; w++) { const r = g.recorder(); f(r); r.submit(); await g.device.queue.onSubmittedWorkDone(); }
  const t0 = performance.now();
  const r = g.recorder(); for (let i = 0; i < n; i++) f(r); r.submit(); await g.device.queue.onSubmittedWorkDone();
  console.log(name, ((performance.now() - t0) / n).toFixed(2), "ms");
}
await time("empty submit", () => {});
await time("gemm B x d -> m", (r) => gemm(g, r, { M: B, N: m, K: d, transB: true }, X, W, C));
await time("gemm m x B -> d (transA)", (r) => gemm(g, r, { M: m, N: d, K: B, transA: true }, A, X, W));
await time("rowTopKCut k=8", (r) => rowTopKCut(g, r, { B, m, k: 8, deadOnly: false, window: 0 }, A, since, cut));
await time("reduce sum m", (r) => reduceToScalar(g, r, "sum", r1, B, s, 0));
await time("columnSums Bxd", (r) => columnSums(g, r, X, B, d, mean));
await time("residualRows", (r) => residualRows(g, r, { rows: B, d, sign: 1, scale: 1, withDen: true }, Y, X, mean, G, r1, r2));
await be.dispose();
