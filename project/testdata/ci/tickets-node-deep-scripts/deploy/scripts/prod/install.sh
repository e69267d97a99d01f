#!/usr/bin/env sh
set -e
helm upgrade --install tickets ./deploy/helm/tickets \
  --values ./deploy/helm/values/prod/values.yaml \
  --namespace tickets
