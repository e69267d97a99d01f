package promote

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/sign"
	"github.com/ferrydev/ferry/state"
	"github.com/ferrydev/ferry/view"
)

// signedGate: an environment that ferry.yaml's trust.require names only
// receives a digest signed by one of trust.keys.
type signedGate struct{}

func (signedGate) Phase() Phase { return Before }

func (signedGate) Check(ctx context.Context, g *GateCheck) []state.Gate {
	pol, err := g.Config.policy()
	if err == nil && !pol.Requires(g.To.Name) {
		return nil
	}
	r := state.Gate{Name: "signed by a trusted key"}
	if err != nil {
		r.Detail = err.Error()
		return []state.Gate{r}
	}
	res := g.Config.verifySignature(ctx, pol, g.Image.Digest)
	r.Passed, r.Detail = res.OK(), res.Reason
	return []state.Gate{r}
}

// policy loads ferry.yaml's trust section once.
func (c *Config) policy() (*sign.Policy, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.trust == nil && c.trustErr == nil {
		t := c.Project.Trust
		c.trust, c.trustErr = sign.LoadPolicy(c.Project.Dir, t.Keys, t.Require)
		if c.trustErr != nil {
			c.trustErr = fmt.Errorf("%w: %s:%d: %w", ErrInput, project.FileName, t.Line, c.trustErr)
		}
	}
	return c.trust, c.trustErr
}

// verifySignature judges digest's signatures: those in the local store
// and, when the project's image names a registry repository, those
// pushed beside it there.
func (c *Config) verifySignature(ctx context.Context, pol *sign.Policy, digest string) sign.Result {
	sigs, err := sign.Store{Images: c.Images}.Signatures(digest)
	if err != nil {
		return sign.Result{Digest: digest, State: sign.Unsigned, Reason: fmt.Sprintf("%s: reading its signatures: %v", digest, err)}
	}
	if repo, ok := registryRepo(c.Project.Image); ok {
		remoteSigs, err := sign.Remote(ctx, repo, digest, remote.WithAuthFromKeychain(authn.DefaultKeychain))
		if err != nil && len(sigs) == 0 {
			return sign.Result{Digest: digest, State: sign.Unsigned, Reason: fmt.Sprintf("%s: no signature here, and the registry's could not be read: %v", digest, err)}
		}
		sigs = append(sigs, remoteSigs...)
	}
	return pol.Verify(digest, sigs)
}

// registryRepo returns image as a registry repository when it names one
// (a host with a dot or port, or localhost, before the first slash).
func registryRepo(image string) (name.Repository, bool) {
	host, _, ok := strings.Cut(image, "/")
	if !ok || !(strings.ContainsAny(host, ".:") || host == "localhost") {
		return name.Repository{}, false
	}
	repo, err := name.NewRepository(image)
	return repo, err == nil
}

// requireSignature refuses digest in an environment that requires a
// signature unless a trusted key signed it, and returns what to record.
// Every change goes through it: deploy, promote and rollback alike.
func (c *Config) requireSignature(ctx context.Context, env *project.Environment, digest string) (*state.Signature, error) {
	pol, err := c.policy()
	if err != nil {
		return nil, err
	}
	if !pol.Requires(env.Name) {
		return nil, nil
	}
	res := c.verifySignature(ctx, pol, digest)
	if !res.OK() {
		return nil, fmt.Errorf("%w: %s requires a signature: %s", ErrGate, env.Name, res.Reason)
	}
	return &state.Signature{KeyID: res.KeyID, Key: res.Key, Signer: res.Signer}, nil
}

// signatureView is the signature state of digest in env for status and
// verify; nil when the project trusts no key.
func (c *Config) signatureView(ctx context.Context, env *project.Environment, digest string) *view.Signature {
	if len(c.Project.Trust.Keys) == 0 || digest == "" {
		return nil
	}
	pol, err := c.policy()
	if err != nil {
		return &view.Signature{State: "unknown", Required: true, Reason: err.Error()}
	}
	res := c.verifySignature(ctx, pol, digest)
	return &view.Signature{State: string(res.State), Required: pol.Requires(env.Name), KeyID: res.KeyID, Key: res.Key, Signer: res.Signer, Reason: res.Reason}
}
