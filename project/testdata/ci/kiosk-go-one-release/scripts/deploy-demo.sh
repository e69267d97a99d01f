#!/usr/bin/env bash
set -euo pipefail
ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RELEASE_NAME="${RELEASE_NAME:-kiosk}"
NAMESPACE="${NAMESPACE:-kiosk}"
VALUES_FILE="${VALUES_FILE:-${ROOT_DIR}/helm/values-demo.yaml}"
cd "${ROOT_DIR}"
helm lint ./helm
helm upgrade --install "${RELEASE_NAME}" ./helm \
  --namespace "${NAMESPACE}" \
  -f "${VALUES_FILE}" \
  --wait
