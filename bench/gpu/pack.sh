#!/usr/bin/env bash
# On a CPU machine: pack what bench/gpu/run.sh needs into .device/ (see RESULTS.md).
# The shared packer brings Node.js, onnxruntime-node, the PyTorch yardstick and
# (--vulkan) Debian's Vulkan loader; this adds Dawn's Node bindings (the webgpu
# package, Linux x64 only) and rebuilds the bundle with them kept external, so
# dawn.node is loaded from .device/node_modules/webgpu; and bundles the harvest
# bench (bench/harvest.ts) the same way, which reads the bundled model and
# corpus from the project's assets/ (tracked, so they travel with the tree).
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
shared=${FEATURELAB_SHARED:-$root/../shared}
bash "$shared/device/pack.sh" bench/gpu/jumprelu-step.ts --vulkan
npx --yes esbuild@0.25 bench/gpu/jumprelu-step.ts --bundle --platform=node --format=esm --target=node20 \
  --external:onnxruntime-node --external:webgpu --outfile=.device/app.mjs \
  --banner:js="import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);"
# the harvest bench (language-model tokens/s on onnxruntime's CPU and WebGPU providers, issue 14)
npx --yes esbuild@0.25 bench/harvest.ts --bundle --platform=node --format=esm --target=node20 \
  --external:onnxruntime-node --external:webgpu --outfile=.device/harvest.mjs \
  --banner:js="import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);"
tar -C node_modules -cJf .device/webgpu.tar.xz \
  webgpu/package.json webgpu/index.js webgpu/dist/linux-x64 $(cd node_modules && ls -d @webgpu/types 2>/dev/null)
cp bench/gpu/run.sh .device/run.sh
du -sh .device
