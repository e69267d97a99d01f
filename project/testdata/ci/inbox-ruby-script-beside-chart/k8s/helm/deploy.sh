#!/bin/bash
set -euo pipefail
cd "$(dirname "$0")"
ARGS=()
if [ -n "${DRY:-}" ]; then ARGS+=(--dry-run); fi
if [ -n "${EXTRA:-}" ]; then ARGS+=("$2"); fi
helm upgrade "${ARGS[@]}" --install inbox app --set image.tag="$1"
