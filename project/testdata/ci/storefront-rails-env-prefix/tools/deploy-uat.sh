#!/bin/sh
set -e
DEPLOY_ENV=uat NAMESPACE=storefront-uat bash tools/deploy.sh
