#!/usr/bin/env bash
# Deploys storefront; the caller sets DEPLOY_ENV and NAMESPACE.
set -euo pipefail

read -r -p "Deploy $TAG to $NAMESPACE? [y/N] " REPLY
if [[ $REPLY =~ ^[Yy]$ ]]; then
  CHART=helm/storefront
  helm upgrade --install storefront "$CHART" \
    --namespace "$NAMESPACE" \
    -f "$CHART/values-$DEPLOY_ENV.yaml" \
    --set image.tag="$TAG" \
    --wait --timeout 10m
fi
