package sign

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/sigstore/sigstore/pkg/signature/payload"

	"github.com/ferrydev/ferry/artifact"
)

// cosign's storage convention (cosign's specs/SIGNATURE_SPEC.md): each
// signature is one layer of the .sig image, the payload its content.
const (
	// PayloadMediaType is the media type of a signature layer.
	PayloadMediaType types.MediaType = "application/vnd.dev.cosign.simplesigning.v1+json"
	// SignatureAnnotation holds the base64 signature on the layer.
	SignatureAnnotation = "dev.cosignproject.cosign/signature"
)

// Claims ferry adds to the payload's optional section. They are signed
// with the rest of the payload, so they cannot be altered unseen.
const (
	// ClaimSigner records who signed: user@host, or the CI job.
	ClaimSigner = "dev.ferry.signer"
	// ClaimKey records the fingerprint of the signing key.
	ClaimKey = "dev.ferry.key"
)

// Tag is cosign's tag for the signatures of digest: sha256-<hex>.sig.
func Tag(digest string) string {
	return strings.Replace(digest, ":", "-", 1) + ".sig"
}

// Signature is one signature over one payload.
type Signature struct {
	Payload []byte
	// Base64 is the signature as stored in the layer annotation.
	Base64 string
}

// Claims is what a payload says.
type Claims struct {
	Digest    string // critical.image.docker-manifest-digest
	Reference string // critical.identity.docker-reference
	Signer    string // optional dev.ferry.signer, "" when absent
	KeyID     string // optional dev.ferry.key, "" when absent
}

// Claims parses the signature's payload.
func (s Signature) Claims() (Claims, error) {
	var p payload.SimpleContainerImage
	if err := json.Unmarshal(s.Payload, &p); err != nil {
		return Claims{}, fmt.Errorf("signature payload: %w", err)
	}
	if p.Critical.Type != payload.CosignSignatureType {
		return Claims{}, fmt.Errorf("signature payload: type %q is not a cosign container image signature", p.Critical.Type)
	}
	c := Claims{Digest: p.Critical.Image.DockerManifestDigest, Reference: p.Critical.Identity.DockerReference}
	c.Signer, _ = p.Optional[ClaimSigner].(string)
	c.KeyID, _ = p.Optional[ClaimKey].(string)
	return c, nil
}

// Sign signs digest, an image of repository repo, as signer (who signs:
// user@host or a CI job).
func Sign(s *Signer, repo, digest, signer string) (*Signature, error) {
	d, err := name.NewDigest(repo+"@"+digest, name.WeakValidation)
	if err != nil {
		return nil, fmt.Errorf("sign %s: %w", digest, err)
	}
	p := payload.Cosign{Image: d, Annotations: map[string]any{ClaimKey: s.KeyID}}
	if signer != "" {
		p.Annotations[ClaimSigner] = signer
	}
	data, err := p.MarshalJSON()
	if err != nil {
		return nil, err
	}
	sig, err := s.SignMessage(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("sign %s: %w", digest, err)
	}
	return &Signature{Payload: data, Base64: base64.StdEncoding.EncodeToString(sig)}, nil
}

// Append returns the .sig image img (nil for none yet) with sig as one
// more layer; an identical signature already there is not added twice.
func Append(img v1.Image, sig *Signature) (v1.Image, error) {
	if img == nil {
		img = mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	} else {
		have, err := Read(img)
		if err != nil {
			return nil, err
		}
		for _, h := range have {
			if h.Base64 == sig.Base64 && bytes.Equal(h.Payload, sig.Payload) {
				return img, nil
			}
		}
	}
	return mutate.Append(img, mutate.Addendum{
		Layer:       static.NewLayer(sig.Payload, PayloadMediaType),
		Annotations: map[string]string{SignatureAnnotation: sig.Base64},
	})
}

// Read returns the signatures in a .sig image.
func Read(img v1.Image) ([]Signature, error) {
	m, err := img.Manifest()
	if err != nil {
		return nil, fmt.Errorf("signature manifest: %w", err)
	}
	var out []Signature
	for _, desc := range m.Layers {
		if desc.MediaType != PayloadMediaType {
			continue
		}
		l, err := img.LayerByDigest(desc.Digest)
		if err != nil {
			return nil, err
		}
		rc, err := l.Compressed()
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(io.LimitReader(rc, 1<<20))
		rc.Close()
		if err != nil {
			return nil, err
		}
		out = append(out, Signature{Payload: data, Base64: desc.Annotations[SignatureAnnotation]})
	}
	return out, nil
}

// Store keeps signatures beside the images of a local image layout.
type Store struct{ Images *artifact.Store }

// Signatures returns the signatures of digest in the local store (none
// when it has no .sig image).
func (s Store) Signatures(digest string) ([]Signature, error) {
	img, err := s.Images.Tagged(Tag(digest))
	if errors.Is(err, artifact.ErrUnknownArtifact) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return Read(img)
}

// Add stores sig as a signature of digest.
func (s Store) Add(digest string, sig *Signature) error {
	var cur v1.Image
	img, err := s.Images.Tagged(Tag(digest))
	switch {
	case err == nil:
		cur = img
	case !errors.Is(err, artifact.ErrUnknownArtifact):
		return err
	}
	next, err := Append(cur, sig)
	if err != nil {
		return err
	}
	return s.Images.Attach(next, Tag(digest))
}

// Remote reads the signatures of digest in repository repo of a registry.
func Remote(ctx context.Context, repo name.Repository, digest string, opts ...remote.Option) ([]Signature, error) {
	img, err := remoteSig(ctx, repo, digest, opts...)
	if err != nil || img == nil {
		return nil, err
	}
	return Read(img)
}

func remoteSig(ctx context.Context, repo name.Repository, digest string, opts ...remote.Option) (v1.Image, error) {
	opts = append([]remote.Option{remote.WithContext(ctx)}, opts...)
	img, err := remote.Image(repo.Tag(Tag(digest)), opts...)
	var te *transport.Error
	if errors.As(err, &te) && te.StatusCode == http.StatusNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("signatures of %s in %s: %w", digest, repo, err)
	}
	return img, nil
}

// Push copies the local signatures of digest to repo, adding them to the
// signatures the registry already has there.
func (s Store) Push(ctx context.Context, repo name.Repository, digest string, opts ...remote.Option) (int, error) {
	local, err := s.Signatures(digest)
	if err != nil || len(local) == 0 {
		return 0, err
	}
	img, err := remoteSig(ctx, repo, digest, opts...)
	if err != nil {
		return 0, err
	}
	for i := range local {
		if img, err = Append(img, &local[i]); err != nil {
			return 0, err
		}
	}
	opts = append([]remote.Option{remote.WithContext(ctx)}, opts...)
	if err := remote.Write(repo.Tag(Tag(digest)), img, opts...); err != nil {
		return 0, fmt.Errorf("push signatures of %s to %s: %w", digest, repo, err)
	}
	return len(local), nil
}
