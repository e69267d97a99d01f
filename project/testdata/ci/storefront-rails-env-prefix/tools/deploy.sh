#!/usr/bin/env bash
# Deploys storefront; the caller sets DEPLOY_ENV and NAMESPACE.
set -euo pipefail

CHART=helm/storefront
: "${TAG:?set TAG to the image tag}"

helm upgrade --install storefront "$CHART" \
  --namespace "$NAMESPACE" \
  -f "$CHART/values-$DEPLOY_ENV.yaml" \
  --set image.tag="$TAG" \
  --wait --timeout 10m
