package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/spf13/cobra"

	"github.com/ferrydev/ferry/artifact"
	"github.com/ferrydev/ferry/internal/confine"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/sign"
)

type signOptions struct {
	Ref    string
	Key    string
	Push   string
	Signer string
}

const signLong = `Sign signs an image digest of the local store (a digest, a unique digest
prefix or a tag) with a private key, the way cosign does: the signature is
stored beside the image under cosign's tag sha256-<hex>.sig, and with
--push copied to that tag in the registry repository of --push, added to
the signatures already there.

The key is --key (a file), else FERRY_SIGNING_KEY: a file path, the PEM
itself as a CI secret store hands it over, or env://NAME. Its passphrase is
FERRY_SIGNING_PASSWORD. The signed payload records the key's fingerprint
and who signed (--signer; by default the CI job, or user@host).`

const signExample = `  ferry sign sha256:3f1c… --key ferry.key
  FERRY_SIGNING_KEY=env://SIGNING_PEM ferry sign 1.4.2 --push registry.example/team/orders-api`

func newSignCmd(g *globalOptions) *cobra.Command {
	opts := &signOptions{}
	cmd := &cobra.Command{
		Use:     "sign <digest|tag> [--key <file>] [--push <repository>] [--signer <name>]",
		Short:   "Sign an image digest with a key, cosign-compatible",
		Long:    signLong,
		Example: signExample,
		Args:    refArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ref = args[0]
			return runSign(cmd.Context(), g, opts)
		},
	}
	cmd.Flags().StringVar(&opts.Key, "key", "", "private key file (default: $FERRY_SIGNING_KEY)")
	cmd.Flags().StringVar(&opts.Push, "push", "", "also push the signature to this registry repository (or image reference)")
	cmd.Flags().StringVar(&opts.Signer, "signer", "", "who signs, as recorded (default: the CI job or user@host)")
	return cmd
}

// refArg: sign's one argument names an artifact (a digest or a tag), not
// an environment, so exactArgs' name check does not apply.
func refArg(cmd *cobra.Command, args []string) error {
	if len(args) != 1 {
		return usageError(fmt.Errorf("%s takes 1 argument (a digest or tag), got %d\nusage: %s", cmd.Name(), len(args), cmd.UseLine()))
	}
	return nil
}

func runSign(ctx context.Context, g *globalOptions, opts *signOptions) error {
	p, err := g.loadProject()
	if err != nil {
		return err
	}
	if err := g.refuseTrackedState(p.Dir); err != nil {
		return err
	}
	root, err := confine.Open(p.Dir)
	if err != nil {
		return err
	}
	defer root.Close()
	s, err := artifact.OpenStore(root)
	if err != nil {
		return err
	}
	img, err := s.Resolve(opts.Ref)
	if err != nil {
		return engineErr(err)
	}
	signer, err := sign.LoadSignerFrom(opts.Key)
	if err != nil {
		return signErr(err)
	}
	msg, err := signAndPush(ctx, g, p, s, signer, img.Digest, opts.Push, opts.Signer)
	if err != nil {
		return err
	}
	fmt.Fprintln(g.streams.Out, msg)
	return nil
}

// signAndPush signs digest, stores the signature locally and, when push
// names a registry reference, copies the signatures to its repository. It
// returns a line saying what it signed, with which key, as whom.
func signAndPush(ctx context.Context, g *globalOptions, p *project.Project, s *artifact.Store, signer *sign.Signer, digest, push, who string) (string, error) {
	repo := projectImage(p)
	var remoteRepo name.Repository
	if push != "" {
		ref, err := name.ParseReference(push)
		if err != nil {
			return "", usageError(fmt.Errorf("--push %q: %w", push, err))
		}
		remoteRepo = ref.Context()
		repo = remoteRepo.Name()
	}
	if who == "" {
		who = sign.Identity()
	}
	sig, err := sign.Sign(signer, repo, digest, who)
	if err != nil {
		return "", err
	}
	store := sign.Store{Images: s}
	if err := store.Add(digest, sig); err != nil {
		return "", fmt.Errorf("store signature of %s: %w", digest, err)
	}
	msg := fmt.Sprintf("signed %s with %s (%s) as %s", digest, signer.Source, signer.KeyID, who)
	if push != "" {
		pctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
		defer cancel()
		if _, err := store.Push(pctx, remoteRepo, digest, registryAuth()); err != nil {
			return "", targetError(err)
		}
		msg += fmt.Sprintf("; pushed to %s:%s", remoteRepo, sign.Tag(digest))
	}
	return msg, nil
}

// projectImage is the repository an image is signed as when it is not
// pushed: ferry.yaml's image, else the service's name.
func projectImage(p *project.Project) string {
	if p.Image != "" {
		return p.Image
	}
	return p.Service
}

// registryAuth uses the credentials docker login (or a CI's login
// action) left, like every registry client.
func registryAuth() remote.Option {
	return remote.WithAuthFromKeychain(authn.DefaultKeychain)
}
