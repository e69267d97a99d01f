# Sourced by hack/demo-kube.sh and hack/demo-gitops.sh, from the
# repository's root, after they define say, $work and $build_pid.
#
# copy_example WORK copies the bundled example's
# sources — never the .ferry/ and bin/ that make demo leaves — to
# WORK/examples/orders-api, which builds in a workspace beside it against
# this tree's kit and envfile, as the repository's go.work does.
copy_example() {
  local work=$1 demo=$1/examples/orders-api
  mkdir -p "$demo"
  tar -C examples/orders-api --exclude=./.ferry --exclude=./bin -cf - . | tar -C "$demo" -xf -
  ln -s "$PWD/kit" "$work/kit" && ln -s "$PWD/envfile" "$work/envfile"
  cat > "$work/go.work" <<'WORK'
go 1.26.0

use (
	./envfile
	./examples/orders-api
	./kit
)

replace (
	github.com/ferrydev/ferry/envfile v0.1.0 => ./envfile
	github.com/ferrydev/ferry/kit v0.1.0 => ./kit
)
WORK
}

# build LABEL CACHE TOTAL CMD…: runs a builder in the background and says
# every 20s how far it got (the binaries already in its temporary cache
# directory) and for how long: the first build of the control plane
# takes minutes.
build() {
  local label=$1 cache=$2 total=$3 start=$SECONDS
  shift 3
  "$@" >"$work/build.out" 2>&1 &
  build_pid=$!
  while kill -0 "$build_pid" 2>/dev/null; do
    for _ in $(seq 20); do kill -0 "$build_pid" 2>/dev/null && sleep 1; done
    kill -0 "$build_pid" 2>/dev/null || break
    local tmp done_bins n
    tmp=$(ls -dt "$cache"/*.tmp-* 2>/dev/null | head -n 1 || true)
    done_bins=$( [ -n "$tmp" ] && ls "$tmp" 2>/dev/null | xargs || true)
    n=$(echo "$done_bins" | wc -w)
    say "building $label: $n of $total built${done_bins:+ ($done_bins)}, $(((SECONDS - start) / 60))m$(printf %02d $(((SECONDS - start) % 60)))s so far"
  done
  wait "$build_pid" || { cat "$work/build.out" >&2; say "building $label failed"; exit 1; }
  build_pid=
  say "$label ready ($((SECONDS - start))s)"
}
