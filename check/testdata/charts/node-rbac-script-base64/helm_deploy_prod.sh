#!/usr/bin/env bash
set -euo pipefail
helm upgrade --install ledger-sync ./chart \
    -n ledger-prod \
    -f ./chart/values.yaml \
    -f ./chart/values-prod.yaml \
    --set pgPasswordB64=$(cat ~/.secrets/pg-prod | base64 -w 0 -) \
    --set serviceAccountJsonB64=$(base64 -w 0 ~/.gcloud/ledger-prod.json)
