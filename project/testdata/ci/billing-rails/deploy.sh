#!/bin/sh
# Manual prod deploy from a release tag, when CI is down.
set -eu
ENVIRON=prod
RELEASE="billing-$ENVIRON"
TAG=$(git describe --tags --abbrev=0)
helm upgrade --install "$RELEASE" ./chart -n billing-$ENVIRON -f chart/values-$ENVIRON.yaml --set image.tag=$TAG,secretName=billing-$ENVIRON-secret
