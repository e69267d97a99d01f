#!/usr/bin/env bash
# Deploy inventory-api with helm: ./deploy.sh dev|prod [--dry-run]
set -euo pipefail

usage() {
  cat <<EOF
usage: $0 ENV [--dry-run]
  e.g. helm upgrade --install inventory charts/ -n inventory-sandbox
EOF
}

ENV=${1:?$(usage)}
NS=inventory-${ENV}
version=$(git rev-parse --short HEAD)

if [ "${2:-}" = "--dry-run" ]; then
  PARAM=--dry-run
fi

# show what is about to run
echo helm upgrade ${PARAM:-} --install --namespace=${NS}-preview \
     inventory-preview charts/ \
     --values charts/values.yaml \
     --set image.tag=${version}

printf '%s\n' "helm upgrade --install inventory-old charts/ -n legacy"

helm upgrade ${PARAM:-} --install --namespace=${NS} \
     inventory charts/ \
     --values charts/values.yaml \
     --values charts/values-${ENV}.yaml \
     --set image.tag=${version} \
     --wait --timeout 2m
