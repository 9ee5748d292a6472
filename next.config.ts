import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // Native and WebAssembly packages run from node_modules, not bundled.
  serverExternalPackages: [
    "onnxruntime-node",
    "@node-rs/argon2",
    "@prisma/client",
    "@prisma/adapter-pg",
    "pg",
    "pg-boss",
    "@electric-sql/pglite",
    "@huggingface/tokenizers",
    // Dawn's Node bindings (dawn.node), for the WebGPU training engine
    "webgpu",
  ],
  // forbidden() answers 403 pages for signed-in users without the right role.
  experimental: { authInterrupts: true },
  poweredByHeader: false,
  // bin/web-server.mjs compresses responses itself, so that a dashboard snapshot's stored gzip goes out
  // as it is (lib/snapshots/protocol.ts ENCODED_BODY_HEADER); Next.js's own compression would pack it again.
  compress: false,
  typescript: { ignoreBuildErrors: true }, // `npm run typecheck` checks types once for the whole repo
};

export default nextConfig;
