package kube

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/ferrydev/ferry/project"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// ResolveTag implements promote.TagResolver: the digest tag points to now
// in the repository the environment pulls from, asked with the default
// keychain (docker's config, credential helpers) as a node's pull would
// resolve it. A bare repository (no registry host) resolves nothing: the
// caller falls back to the project's artifact store.
func (t *Target) ResolveTag(ctx context.Context, e *project.Environment, tag string) (string, string, error) {
	env := t.Env(e)
	if !namesRegistry(env.Image) {
		return "", "", nil
	}
	where := env.Image + ":" + tag
	ref, err := name.NewTag(where)
	if err != nil {
		return "", where, fmt.Errorf("tag %s: %w", where, err)
	}
	desc, err := remote.Head(ref, remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain))
	if err != nil {
		var te *transport.Error
		if errors.As(err, &te) && te.StatusCode == http.StatusNotFound {
			return "", where, fmt.Errorf("%s: no such tag in the registry", where)
		}
		return "", where, fmt.Errorf("%s: %w", where, err)
	}
	return desc.Digest.String(), where, nil
}

// namesRegistry says whether repo starts with a registry host
// (registry.example.com/shop/api, localhost:5000/api) rather than being a
// bare name the cluster resolves itself (orders-api, a preloaded image).
func namesRegistry(repo string) bool {
	first, _, ok := strings.Cut(repo, "/")
	return ok && (strings.ContainsAny(first, ".:") || first == "localhost")
}
