#!/usr/bin/env bash
# usage: helm-deploy.sh <environment> <image tag>
set -euo pipefail

namespace="registry"
environment="${1:-}"
image_tag="${2:-}"

if [[ "${environment}" == "staging" ]]; then
  values_file="chart/values-staging.yaml"
  namespace="registry-staging"
elif [[ "${environment}" == "test" ]]; then
  values_file="chart/values-test.yaml"
  namespace="registry-staging"
elif [[ "${environment}" == "production" ]]; then
  values_file="chart/values.yaml"
else
  echo "unknown environment ${environment}" >&2
  exit 1
fi

helm upgrade --install "${environment}" chart \
  -f "${values_file}" \
  --set image.tag="${image_tag}" \
  --namespace "${namespace}" --wait
