#!/usr/bin/env bash
set -euo pipefail
helm upgrade --install ledger-sync ./chart \
    -n ledger-staging \
    -f ./chart/values.yaml \
    -f ./chart/values-staging.yaml \
    --set pgPasswordB64=$(cat ~/.secrets/pg-staging | base64 -w 0 -) \
    --set serviceAccountJsonB64=$(base64 -w 0 ~/.gcloud/ledger-staging.json)
