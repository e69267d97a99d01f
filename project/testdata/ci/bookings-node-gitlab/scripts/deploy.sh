#!/usr/bin/env bash
# Called by every deploy job: the job's environment picks the release,
# namespace and values file.
set -eu

deploy_to() {
  helm upgrade --install "$1" ./chart \
    --namespace "$2" \
    -f ./chart/values.yaml \
    -f "./chart/$3" \
    --set image.tag="$CI_COMMIT_SHORT_SHA" \
    --atomic --timeout 5m
}

case "$CI_ENVIRONMENT_NAME" in
  qa|staging)
    deploy_to bookings "bookings-$CI_ENVIRONMENT_NAME" "values-$CI_ENVIRONMENT_NAME.yaml"
    ;;
  production)
    deploy_to bookings-canary bookings-prod values-production-canary.yaml
    deploy_to bookings bookings-prod values-production.yaml
    ;;
  *)
    echo "no deploy for $CI_ENVIRONMENT_NAME" >&2
    exit 1
    ;;
esac
