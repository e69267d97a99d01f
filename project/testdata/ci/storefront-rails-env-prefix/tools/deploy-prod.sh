#!/bin/sh
set -e
echo "deploying $TAG to production"
[ -n "$TAG" ] || exit 1
DEPLOY_ENV=prod \
  NAMESPACE=storefront \
  ./tools/deploy.sh
