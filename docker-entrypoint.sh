#!/bin/sh
# The image's entrypoint: its arguments are kioskguard's. `docker run IMAGE run ...` and
# `docker run IMAGE kioskguard run ...` both run `kioskguard run ...` (never
# `kioskguard kioskguard run`).
set -eu
if [ "${1:-}" = "kioskguard" ]; then
    shift
fi
exec kioskguard "$@"
