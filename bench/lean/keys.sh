#!/usr/bin/env bash
# keys.sh DIR N writes a service whose chart's values hold N config keys,
# all copied into a ConfigMap the Deployment takes whole (the chart of
# render's BenchmarkRenderLarge, whose templates it copies from
# render/testdata/bench), with one environment, env0, and
# configs/: the per-key work of a render (provenance of every key, the
# output parsed) against Helm's own.
set -euo pipefail
dir=$1 n=${2:-30000}
mkdir -p "$dir/chart/templates" "$dir/configs"
cat > "$dir/chart/Chart.yaml" <<'YAML'
apiVersion: v2
name: svc
version: 0.1.0
YAML
{
  printf 'replicas: 2\nimage:\n  repository: svc\n  tag: "1.0"\nconfig:\n'
  awk -v n="$n" 'BEGIN { for (k = 0; k < n; k++) printf "  KEY_%02d: \"value-%d\"\n", k, k }'
} > "$dir/chart/values.yaml"
cp "$(dirname "$0")"/../../render/testdata/bench/*.yaml "$dir/chart/templates/"
printf 'config:\n  APP_ENV: env0\n  KEY_01: other-0\n  DB_HOST: db-0\n' > "$dir/values-env0.yaml"
awk 'BEGIN { for (k = 0; k < 40; k++) printf "FILE_%02d=file-%d\n", k, k }' > "$dir/configs/.env"
printf 'FILE_02=overlay-0\n' > "$dir/configs/.env0.env"
