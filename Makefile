# One set of targets drives local work and CI (.ci/run calls `make test`).
# ferry is three Go modules (root, envfile, kit) plus the example service's
# and the kit benchmark's; every target covers all of them. go.work joins
# them for development; each go.mod requires the others at release versions.
MODULES   := . envfile kit examples/orders-api bench/kit
GO        ?= go
TESTFLAGS ?= -count=1 -shuffle=on

.PHONY: build size bench-size bench-lean test test-unit testcluster demo-kube demo-gitops lint vet fmt golden demo bench tidy

# Built as Helm builds its releases: without cgo (a static binary; with
# cgo on, any package that imports Go's plugin package makes the linker
# export every symbol, +28% when Helm's pkg/action was in), without symbol
# tables (-s -w) and without local paths (-trimpath). The module information stays in the binary;
# where VCS stamping is off (CI's -buildvcs=false) the commit is passed
# with -X so that `ferry version` still names it.
CLI_PKG     := github.com/ferrydev/ferry/internal/cli
GIT_COMMIT  := $(shell git rev-parse HEAD 2>/dev/null)
GIT_TIME    := $(shell TZ=UTC0 git log -1 --date=format-local:%Y-%m-%dT%H:%M:%SZ --format=%cd 2>/dev/null)
GIT_DIRTY   := $(shell [ -z "$$(git status --porcelain --untracked-files=no 2>/dev/null)" ] || echo true)
LDFLAGS     := -s -w -X $(CLI_PKG).stampCommit=$(GIT_COMMIT) -X $(CLI_PKG).stampTime=$(GIT_TIME) -X $(CLI_PKG).stampModified=$(GIT_DIRTY)
# The packages that run once per command (main, its flags and output, the
# deploy targets, promotion, the web page and ferry init with their packed
# files, signing, the state store, GC pacing, the confined file system
# whose every call is a system call, the image builder, whose time is go
# build's and hashing's) are compiled without inlining: 180 KB less binary
# and no measurable time (bench/lean/run.sh), since no loop of a check or a
# render runs in them. check, render, project, secret, view and envfile
# keep it.
NOINLINE    := cmd/ferry internal/cli platform/... promote serve scaffold soak sign internal/boltstore internal/packfs internal/portholder internal/gcpace internal/confine remotelog sopsvalues state artifact
# Dependencies whose code no check or render loop runs are compiled
# without inlining too: the Kubernetes API types and client (Helm's
# scheme registration and the kube target's requests; the generated
# protobuf and deep-copy code is most of their size), 2.58 MB less binary;
# the image registry client, its zstd, x/crypto (ssh for git), bbolt,
# OpenPGP and circl, sigstore and the Prometheus text parser, 242 KB
# more; the OpenAPI models, CBOR, go-restful and structured-merge-diff
# (the kube target's schema and apply code), 524 KB more. No measurable
# CPU or memory difference for `ferry check` (bench/lean/pairs, 15
# pairs). go-git stays: ferry check runs it.
NOINLINE_DEPS := k8s.io/... github.com/google/go-containerregistry/... golang.org/x/crypto/... \
  go.etcd.io/bbolt/... github.com/ProtonMail/... github.com/cloudflare/... github.com/klauspost/... \
  github.com/sigstore/... github.com/prometheus/... github.com/google/gnostic-models/... \
  github.com/fxamacker/... github.com/emicklei/... sigs.k8s.io/structured-merge-diff/...
GCFLAGS     := $(foreach p,$(NOINLINE),-gcflags=github.com/ferrydev/ferry/$(p)=-l) $(foreach p,$(NOINLINE_DEPS),-gcflags=$(p)=-l)
BUILDFLAGS  := -trimpath $(GCFLAGS) -ldflags "$(LDFLAGS)"

build:
	CGO_ENABLED=0 $(GO) build $(BUILDFLAGS) -o bin/ferry ./cmd/ferry

# The binary budget: CI fails when `make build`'s binary grows past the
# number of bytes in bench/lean/budget (raise it in the same commit as the
# growth, saying what it buys).
size: build
	@budget=$$(cat bench/lean/budget); size=$$(stat -c %s bin/ferry); \
	  echo "bin/ferry: $$size bytes, budget $$budget"; \
	  [ "$$size" -le "$$budget" ] || { echo "bin/ferry is over its budget by $$((size - budget)) bytes"; exit 1; }

# Where the binary's bytes go, by module, against Helm's: bench/lean/sizes.sh.
bench-size:
	bench/lean/sizes.sh

# ferry against helm template, interleaved: see bench/lean/run.sh.
bench-lean:
	bench/lean/run.sh

# The whole suite: vet + gofmt, then every module's tests. Packages with
# concurrency run under the race detector; the rest of the root
# module runs without it to keep CI's compile time in bounds.
RACE_DIRS ?= promote platform state internal/boltstore render serve soak

# Packages that start a real Kubernetes control plane (internal/testcluster):
# one package at a time (-p 1; a cluster holds about 620 MiB), after the
# control plane's binaries are built (make testcluster: about 8.5 minutes
# on 2 cores the first time, cached by the tools modules' go.sum after).
KUBE_DIRS ?= internal/testcluster platform/kube platform/gitops scaffold/citest internal/demotest

test: lint size test-unit

# Builds etcd, kube-apiserver, kube-controller-manager, kube-scheduler and
# kwok from hack/testcluster/* into the user cache dir, unless built.
testcluster:
	$(GO) run ./hack/testcluster/build

test-unit: testcluster
	cd envfile && $(GO) test $(TESTFLAGS) ./...
	[ ! -f kit/go.mod ] || (cd kit && $(GO) test $(TESTFLAGS) -race ./...)
	[ ! -f examples/orders-api/go.mod ] || (cd examples/orders-api && $(GO) test $(TESTFLAGS) ./...)
	$(GO) test $(TESTFLAGS) $$($(GO) list ./... | grep -v -e /promote -e /platform -e /ferry/state -e /internal/boltstore -e /render -e /serve -e /soak -e /internal/testcluster -e /scaffold/citest -e /internal/demotest)
	pkgs=$$(for d in $(RACE_DIRS); do [ ! -d $$d ] || echo ./$$d/...; done); \
	  [ -z "$$pkgs" ] || $(GO) test $(TESTFLAGS) -race $$($(GO) list $$pkgs | grep -v -e /platform/kube -e /platform/gitops)
	$(GO) test $(TESTFLAGS) -race -p 1 -timeout 20m $(addprefix ./,$(addsuffix /...,$(KUBE_DIRS)))

lint: vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	@set -e; for m in $(MODULES); do [ -f $$m/go.mod ] && (cd $$m && $(GO) vet ./...); done; true

fmt:
	gofmt -w $$(git ls-files '*.go')

# Regenerate golden files after an intended output change: every package
# of the root module whose tests define the -update flag runs all its
# tests with it (golden tests need not be named *Golden*).
golden:
	@pkgs=$$(for d in $$($(GO) list -f '{{.Dir}}' ./...); do \
	  grep -qs 'flag.Bool("update"' $$d/*_test.go && echo $$d; done); \
	  echo "golden files in: $$pkgs"; $(GO) test -count=1 $$pkgs -update

# ferry's main job on the bundled example, on this machine: what staging
# and prod will run, then the whole loop — build once, deploy to staging,
# verify, promote the same digest to prod after staging's 3s soak (the
# dry run first shows the soak gate not yet met), status. Both environments
# stay up (staging :18080, prod :18090) to be poked at; `make demo-down`
# stops them. The secrets files the chart's external Secret needs are
# written once, outside the repository, under DEMO_SECRETS.
DEMO_SECRETS ?= $(HOME)/.config/ferry/orders-api
DEMO_FERRY   := ./bin/ferry -C examples/orders-api

demo: build
	$(DEMO_FERRY) render staging
	$(DEMO_FERRY) diff staging prod
	$(DEMO_FERRY) check
	@mkdir -p $(DEMO_SECRETS); for e in staging prod; do f=$(DEMO_SECRETS)/$$e.env; \
	  [ -f $$f ] || (umask 077; printf 'DB_PASSWORD=local-demo-%s\n' $$e > $$f); done
	$(DEMO_FERRY) build
	$(DEMO_FERRY) deploy staging
	$(DEMO_FERRY) verify staging
	-$(DEMO_FERRY) promote staging prod --dry-run
	sleep 3
	$(DEMO_FERRY) promote staging prod
	$(DEMO_FERRY) status

# The same loop on Kubernetes: a throwaway local control plane
# (make testcluster's binaries), staging and prod as namespaces.
demo-kube:
	hack/demo-kube.sh

# The same loop through git: the control plane, Flux's controllers and a
# git server on 127.0.0.1, throwaway; staging and prod are directories of
# one deploy repository, prod protected by review (pull-request mode).
demo-gitops:
	hack/demo-gitops.sh

demo-down: build
	$(DEMO_FERRY) down staging
	$(DEMO_FERRY) down prod

# go mod tidy ignores go.work, and the versions of envfile and kit that the
# go.mod files require exist only once tagged: tidy each module with
# temporary replacements to the working tree, dropped again afterwards.
FERRY_MODS := envfile kit
tidy:
	@set -e; for m in $(MODULES); do [ -f $$m/go.mod ] || continue; \
	  (cd $$m && rel=$$(realpath --relative-to=. $(CURDIR)); \
	   for d in $(FERRY_MODS); do [ "$$m" = "$$d" ] || $(GO) mod edit -replace=github.com/ferrydev/ferry/$$d=$$rel/$$d; done; \
	   $(GO) mod tidy; \
	   for d in $(FERRY_MODS); do $(GO) mod edit -dropreplace=github.com/ferrydev/ferry/$$d; done); done
