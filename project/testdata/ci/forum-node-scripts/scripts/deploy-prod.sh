#!/usr/bin/env bash
set -euo pipefail
# Production deploy. Needs SESSION_SECRET and MODERATION_API_KEY in the environment.

ROOT_DIR="$(cd "$(dirname "$0")/.." && pwd)"
HELM=${HELM:-helm}
RELEASE="forum-prod"
NAMESPACE="forum"
KEY_ESCAPED="${MODERATION_API_KEY//,/\\,}"

SETS=(
  --set image.api.tag="${TAG:?TAG is required}"
  --set-string secretEnv.SESSION_SECRET="${SESSION_SECRET}"
  --set-string secretEnv.MODERATION_API_KEY="${KEY_ESCAPED}"
)

# a dry run first, so that a template error stops here
$HELM upgrade --install "$RELEASE" "$ROOT_DIR/deploy/helm/forum" -n "$NAMESPACE" \
  -f "$ROOT_DIR/deploy/helm/values-prod.yaml" "${SETS[@]}" --dry-run > /dev/null
$HELM upgrade --install "$RELEASE" "$ROOT_DIR/deploy/helm/forum" -n "$NAMESPACE" \
  -f "$ROOT_DIR/deploy/helm/values-prod.yaml" "${SETS[@]}" --atomic
