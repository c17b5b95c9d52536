#!/usr/bin/env bash
# Train a model on this machine's GPUs in one call, and say where the run is.
#
#   bash scripts/train_gpu.sh MODEL [--gpus N] [--out DIR] [more `hwrender train` arguments]
#   bash scripts/train_gpu.sh glyph-styler --gpus 4 --set lr=2e-3
#
# --gpus N: GPUs to use (default: all visible). N > 1 runs `torchrun --nproc_per_node N`
# (DistributedDataParallel; --batch-size is the global batch, a multiple of N). The run goes to
# --out (default runs/MODEL-gpu) with its log (train-gpu.log); calling again with the same --out
# continues it (--resume). Training uses --device cuda and bf16 autocast (--no-bf16 turns it off).
# Installs nothing from the internet: it uses .venv when there is one, else the python on PATH
# (PYTHON=...), and at most an offline `pip install -e .` of this checkout. --dry-run prints the
# command instead of running it.
set -euo pipefail

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }
[[ $# -ge 1 && $1 != -* ]] || usage
model=$1
shift
gpus=all
out=runs/$model-gpu
args=()
bf16=--bf16
dry=0
while (($#)); do
    case $1 in
        --gpus) gpus=${2:?--gpus needs a number}; shift 2 ;;
        --gpus=*) gpus=${1#*=}; shift ;;
        --out|-o) out=${2:?--out needs a folder}; shift 2 ;;
        --out=*) out=${1#*=}; shift ;;
        --bf16|--no-bf16) bf16=$1; shift ;;
        --dry-run) dry=1; shift ;;
        --device|--device=*|--resume) echo "train_gpu.sh: $1 is chosen by the script" >&2; exit 2 ;;
        -h|--help) usage 0 ;;
        *) args+=("$1"); shift ;;
    esac
done

cd "$(dirname "$0")/.."
if [[ -n ${PYTHON:-} ]]; then py=$PYTHON
elif [[ -x .venv/bin/python ]]; then py=.venv/bin/python
else py=python3; fi
if ((dry)) && [[ $gpus != all ]]; then
    found=$gpus  # a dry run with --gpus shows the command on any machine, touching nothing
else
    if ! "$py" -c "import hwrender, torch" 2>/dev/null; then
        echo "train_gpu.sh: installing this checkout into $py (offline, no dependencies)" >&2
        "$py" -m pip install --no-index --no-deps --no-build-isolation -q -e . || {
            echo "train_gpu.sh: error: $py lacks hwrender or torch (set PYTHON= to a python that" \
                 "has torch with CUDA and this checkout's dependencies)" >&2; exit 1; }
    fi
    found=$("$py" -c "import torch; print(torch.cuda.device_count() if torch.cuda.is_available() else 0)")
fi
if ((found == 0)); then
    echo "train_gpu.sh: error: torch in $py sees no CUDA GPU (check nvidia-smi, and that torch is a CUDA build)" >&2
    exit 1
fi
[[ $gpus == all ]] && gpus=$found
if ! [[ $gpus =~ ^[1-9][0-9]*$ ]] || ((gpus > found)); then
    echo "train_gpu.sh: error: --gpus $gpus, but $found GPUs are visible (give 1 to $found)" >&2
    exit 2
fi

log=$out/train-gpu.log
resume=()
if [[ -f $out/checkpoint.pt ]]; then
    resume=(--resume)
    echo "train_gpu.sh: $out holds a run: continuing it" >&2
fi
train=(train "$model" --out "$out" --device cuda "$bf16" "${resume[@]}" "${args[@]}")
if ((gpus > 1)); then
    # each process's CPU work (data, loss bookkeeping) gets its share of the cores
    export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(( $(nproc) / gpus > 0 ? $(nproc) / gpus : 1 ))}
    cmd=("$py" -m torch.distributed.run --standalone --nproc_per_node "$gpus" -m hwrender "${train[@]}")
else
    cmd=("$py" -m hwrender "${train[@]}")
fi
if ((dry)); then
    printf '%q ' "${cmd[@]}"; echo
    exit 0
fi
mkdir -p "$out"
export PYTHONUNBUFFERED=1
{
    echo "# $(date -u +%FT%TZ) $(hostname): ${cmd[*]}"
    nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null || true
} >>"$log"
set +e
"${cmd[@]}" 2>&1 | tee -ia "$log"  # -i: a Ctrl-C leaves tee to log the saving
status=${PIPESTATUS[0]}
set -e
if ((status == 0)); then
    echo "train_gpu.sh: model in $out/model (run folder $out, log $log)" >&2
else
    echo "train_gpu.sh: training exited with $status; log in $log; run the same command to continue" >&2
fi
exit "$status"
