#!/bin/sh
set -e
read -r -p "Deploy $TAG to production? [y/N] " ok
[ "$ok" = y ] || exit 1
DEPLOY_ENV=prod \
  NAMESPACE=storefront \
  ./tools/deploy.sh
