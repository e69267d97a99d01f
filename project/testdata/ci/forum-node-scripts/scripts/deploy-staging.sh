#!/usr/bin/env bash
set -euo pipefail
# Staging deploy from a laptop or the build box.
#   MODERATION_API_KEY=... bash scripts/deploy-staging.sh

ROOT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REGISTRY=${REGISTRY:-registry.example.internal}
TAG=${TAG:-$(git rev-parse --short HEAD)}

VALUES_FILE="${ROOT_DIR}/deploy/helm/values-staging.yaml"
CHART_DIR="${ROOT_DIR}/deploy/helm/forum"
RELEASE="forum-staging"
NAMESPACE="forum"

pick_helm() {
  if command -v microk8s >/dev/null 2>&1; then echo "microk8s helm3"; else echo "helm"; fi
}
HELM_BIN=$(pick_helm)

EXTRA=(
  # image first, secrets after
  "--set" "image.registry=${REGISTRY}"
  "--set" "image.api.tag=${TAG}"
)
EXTRA+=( "--set-string" "secretEnv.MODERATION_API_KEY=${MODERATION_API_KEY}" )

echo "helm upgrade --install ${RELEASE} into ${NAMESPACE}"
${HELM_BIN} upgrade --install "${RELEASE}" "${CHART_DIR}" -n "${NAMESPACE}" --create-namespace \
  -f "${VALUES_FILE}" "${EXTRA[@]}" "${UNKNOWN_FLAGS[@]}"
${HELM_BIN} status "${RELEASE}" -n "${NAMESPACE}"
