#!/usr/bin/env bash
# Deploys the branch CI built: main to production, release branches to
# staging, anything else to dev.
set -euo pipefail

case "${GITHUB_REF_NAME}" in
  main) ENVIRONMENT=production ;;
  release/*) ENVIRONMENT=staging ;;
  *) ENVIRONMENT=dev ;;
esac

helm upgrade --install ledger ./deploy/chart \
  --namespace "ledger-${ENVIRONMENT}" \
  -f "deploy/chart/values-${ENVIRONMENT}.yaml" \
  --set image.tag="${GITHUB_SHA::8}" \
  --atomic
