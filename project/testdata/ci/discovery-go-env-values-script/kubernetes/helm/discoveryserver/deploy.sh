#!/usr/bin/env bash
# usage: ./deploy.sh dev|prod  (run from this directory, after gcloud
# container clusters get-credentials for the project)
set -xe
env=$1

helm upgrade discoveryserver . --install --namespace discoveryserver \
  --values common.values.yaml --values $env.values.yaml
