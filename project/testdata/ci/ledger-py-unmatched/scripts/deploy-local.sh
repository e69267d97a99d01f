#!/usr/bin/env bash
# Builds the image into the developer's cluster and installs the chart there.
set -euo pipefail
docker build -t registry.example.org/ledger/api:dev .
helm upgrade --install ledger ./helm -n ledger --create-namespace \
  --set image.tag=dev --set image.pullPolicy=Never
