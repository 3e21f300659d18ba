#!/usr/bin/env bash
# The accelerator run, as one command on a machine with JAX (CUDA) and no TensorFlow: installs the carried
# wheels, then runs bench_device.py (SN/GP/trainer timings, a short digits run) and bench_image_quality.py
# (the Fashion-MNIST table, runs in parallel, wall seconds) under Keras on JAX. docs/benchmarks.md, "The accelerator
# check", says how to prepare the wheels and the data.
#
# Usage, from the repository root: bash benchmarks/on_device.sh OUT_DIR
#   .whl/            keras, namex, optree and keras_lipschitz wheels for the machine's Python
#   .carry/fashion-mnist/   Fashion-MNIST's four IDX files
# Time limits (seconds): DEVICE_SECONDS (default 200), IMAGE_SECONDS (default 330).
set -u
out=$(realpath "${1:?usage: bash benchmarks/on_device.sh OUT_DIR}")
repo=$(pwd)
mkdir -p "$out" /tmp/device-run
export PYTHONUNBUFFERED=1 KERAS_BACKEND=jax XLA_PYTHON_CLIENT_PREALLOCATE=false TF_CPP_MIN_LOG_LEVEL=2
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site \
    "$repo"/.whl/*.whl || exit 1
export PYTHONPATH=/tmp/site
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$out/gpu.txt"
# Away from the source tree, so that the installed package (with its trainers) is the one imported.
cd /tmp/device-run || exit 1
python3 -c "import jax, keras, keras_lipschitz.trainers; print(jax.devices(), 'JAX', jax.__version__,
'Keras', keras.__version__)" || exit 1

timeout "${DEVICE_SECONDS:-200}" python3 "$repo/benchmarks/bench_device.py" --out device >"$out/device.log" 2>&1
echo "bench_device.py: exit $?"
cp device/device.json "$out/" 2>/dev/null

# One seed's rows at a time: a run stopped by the limit still returns whole seeds.
timeout "${IMAGE_SECONDS:-330}" python3 "$repo/benchmarks/bench_image_quality.py" \
    --data_dir "$repo/.carry/fashion-mnist" --parallel 7 --clock wall --out image_quality \
    >"$out/image_quality.log" 2>&1
echo "bench_image_quality.py: exit $?"
find image_quality device -name '*.json' -o -name '*.png' -o -name '*.log' | tar czf "$out/results.tgz" -T -
tail -n 25 "$out/device.log" "$out/image_quality.log"
