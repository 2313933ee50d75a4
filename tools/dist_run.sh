#!/usr/bin/env bash
# torchrun wrapper shared by dist_train.sh and dist_test.sh: one process per GPU on this node.
#   tools/dist_run.sh GPUS SCRIPT [SCRIPT arguments...]
# Several nodes: run it on each with NNODES, NODE_RANK, MASTER_ADDR and PORT set.
# PYTHON selects the interpreter (default: python).
set -euo pipefail
GPUS=$1
SCRIPT=$2
TOOLS_DIR=$(dirname "$0")
PYTHONPATH="$TOOLS_DIR/..${PYTHONPATH:+:$PYTHONPATH}" \
exec "${PYTHON:-python}" -m torch.distributed.run \
    --nnodes="${NNODES:-1}" \
    --node_rank="${NODE_RANK:-0}" \
    --master_addr="${MASTER_ADDR:-127.0.0.1}" \
    --master_port="${PORT:-29500}" \
    --nproc_per_node="$GPUS" \
    "$SCRIPT" "${@:3}"
