#!/bin/bash
# Usage: ./scripts/deploy.sh [staging|production] [version]
set -euo pipefail

ENVIRONMENT=${1:-staging}
VERSION=${2:-latest}
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PROJECT_ROOT="$(dirname "$SCRIPT_DIR")"
NAMESPACE="facture"

log() { echo "[deploy] $*"; }

deploy_helm() {
    log "deploying ${VERSION} to ${ENVIRONMENT}"
    VALUES_FILE="${PROJECT_ROOT}/k8s/helm/values-${ENVIRONMENT}.yaml"
    if [ ! -f "$VALUES_FILE" ]; then
        VALUES_FILE="${PROJECT_ROOT}/k8s/helm/values.yaml"
    fi
    helm upgrade --install facture "${PROJECT_ROOT}/k8s/helm" \
        --namespace "${NAMESPACE}" --create-namespace \
        -f "${VALUES_FILE}" \
        --set image.tag="${VERSION}" \
        --wait --timeout 10m
}

check_cluster() {
    kubectl cluster-info > /dev/null
}

check_cluster
deploy_helm
log "done"
