#!/usr/bin/env sh
# run from the repository root
helm upgrade --install tickets ./deploy/helm/tickets \
  --values ./deploy/helm/values/dev/values.yaml \
  --namespace tickets-dev
