#!/usr/bin/env bash
# near miss: the same release in another namespace is another environment
helm upgrade --install kiosk ./helm -n kiosk-staging -f helm/values-staging.yaml
