#!/usr/bin/env bash
# Distributed training on one or more nodes with torchrun.
#   tools/dist_train.sh CONFIG GPUS [tools/train.py options...]
# Several nodes: run it on each with NNODES, NODE_RANK, MASTER_ADDR and PORT set.
# PYTHON selects the interpreter (default: python).
set -euo pipefail
if [ $# -lt 2 ]; then
    echo "usage: $0 CONFIG GPUS [train.py options...]" >&2
    exit 2
fi
CONFIG=$1
GPUS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
TOOLS_DIR=$(dirname "$0")

PYTHONPATH="$TOOLS_DIR/..${PYTHONPATH:+:$PYTHONPATH}" \
"${PYTHON:-python}" -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --master_port="$PORT" \
    --nproc_per_node="$GPUS" \
    "$TOOLS_DIR/train.py" "$CONFIG" --launcher pytorch "${@:3}"
