#!/usr/bin/env bash
# Distributed testing on one or more nodes with torchrun (see tools/dist_run.sh).
#   tools/dist_test.sh CONFIG CHECKPOINT GPUS [tools/test.py options...]
set -euo pipefail
if [ $# -lt 3 ]; then
    echo "usage: $0 CONFIG CHECKPOINT GPUS [test.py options...]" >&2
    exit 2
fi
exec "$(dirname "$0")/dist_run.sh" "$3" "$(dirname "$0")/test.py" "$1" "$2" --launcher pytorch "${@:4}"
