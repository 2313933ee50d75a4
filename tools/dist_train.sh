#!/usr/bin/env bash
# Distributed training on one or more nodes with torchrun (see tools/dist_run.sh).
#   tools/dist_train.sh CONFIG GPUS [tools/train.py options...]
set -euo pipefail
if [ $# -lt 2 ]; then
    echo "usage: $0 CONFIG GPUS [train.py options...]" >&2
    exit 2
fi
exec "$(dirname "$0")/dist_run.sh" "$2" "$(dirname "$0")/train.py" "$1" --launcher pytorch "${@:3}"
