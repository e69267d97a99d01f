#!/bin/bash
set -euo pipefail
cd "$(dirname "$0")"
ARGS=()
if [ -n "${DRY:-}" ]; then ARGS+=(--dry-run); fi
helm upgrade "${ARGS[@]}" --install inbox app --set image.tag="$1"
