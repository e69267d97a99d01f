# Sourced by hack/demo-kube.sh and hack/demo-gitops.sh, from the
# repository's root. copy_example WORK copies the bundled example's
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
