#!/usr/bin/env bash
# On the GPU machine, from the project root with .device/ carried along
# (bench/gpu/pack.sh made it): the PyTorch yardstick and the WebGPU engine's
# JumpReLU step at 2304 x 16384 and 3584 x 131072, batch 4096, and the
# language model's harvest on onnxruntime's CPU and WebGPU providers, in one
# run, so the numbers compare (same card). Prints JSON lines and the harvest
# bench's summaries; about 7-10 minutes.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bash "$here/unpack.sh" && export PATH=/tmp/node/bin:$PATH
tar -C "$here/node_modules" -xJf "$here/webgpu.tar.xz"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
# Dawn finds NVIDIA's Vulkan driver by the loader's default search; else point it there (../shared/device/README.md)
if ! node "$here/app.mjs" --probe; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  node "$here/app.mjs" --probe || { echo "no WebGPU adapter on this machine"; exit 2; }
fi
# the LM's harvest on onnxruntime's CPU and WebGPU providers, alternating in one process: the bundled
# model, then a random-weight 71 M-parameter one built on the spot (~1 minute each)
timeout 150 node "$here/harvest.mjs" --contexts 256 --batch 32 --repeats 3 --lm-provider cpu,webgpu
timeout 200 node "$here/harvest.mjs" --synthetic-lm 1024x8 --hook blocks.6.hook_resid_post --contexts 64 --batch 16 --repeats 3 --lm-provider cpu,webgpu
for size in "2304 16384" "3584 131072"; do
  set -- $size
  timeout 200 python3 "$here/torch_jumprelu_step.py" --d "$1" --m "$2" --batch 4096 --steps 20 --warmup 3
  timeout 200 python3 "$here/torch_jumprelu_step.py" --d "$1" --m "$2" --batch 4096 --steps 20 --warmup 3 --tf32
  timeout 240 node "$here/app.mjs" --d "$1" --m "$2" --batch 4096 --steps 20 --warmup 3
done
