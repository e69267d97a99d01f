package sign

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"

	"github.com/ferrydev/ferry/internal/confine"
	"github.com/ferrydev/ferry/secret"
)

// State is what a digest's signatures amount to under a policy.
type State string

// The states. Only Verified lets a deploy into a protected environment.
const (
	Verified    State = "verified"     // signed by a trusted key, for this digest
	Unsigned    State = "unsigned"     // no signature at all
	UnknownKey  State = "unknown-key"  // signed, but by no key the policy trusts
	OtherDigest State = "other-digest" // a trusted signature of another digest, moved here
	Tampered    State = "tampered"     // claims a trusted key, but does not verify: altered
)

// Result is the verdict on one digest.
type Result struct {
	Digest string `json:"digest"`
	State  State  `json:"state"`
	// Reason is one line saying why, naming the digest.
	Reason string `json:"reason"`
	// KeyID and Key name the trusted key that verified (Verified), or the
	// key a signature claims (otherwise, when it says).
	KeyID string `json:"keyId,omitempty"`
	Key   string `json:"key,omitempty"`
	// Signer is who signed, as the signed payload records it.
	Signer string `json:"signer,omitempty"`
}

// OK reports whether the digest is signed by a trusted key.
func (r Result) OK() bool { return r.State == Verified }

// Policy is what a project trusts: public keys. Keyless trust (an OIDC
// issuer and subject checked against a Fulcio certificate and a
// transparency log) would be a second list beside Keys, with Verify
// trying both; it needs the network and is not offered yet.
type Policy struct {
	Keys []*PublicKey
	// Require lists the environments whose deploys and promotions need a
	// verified signature.
	Require []string
}

// Requires reports whether env needs a verified signature.
func (p *Policy) Requires(env string) bool {
	return p != nil && slices.Contains(p.Require, env)
}

// LoadPolicy reads the keys of ferry.yaml's trust section: each is a path
// relative to dir, or an inline PEM public key.
func LoadPolicy(dir string, keys, require []string) (*Policy, error) {
	p := &Policy{Require: require}
	for i, k := range keys {
		var (
			name = k
			data []byte
		)
		if strings.Contains(k, "-----BEGIN") {
			name, data = fmt.Sprintf("trust.keys[%d]", i), []byte(k)
		} else {
			// The repository names the file: read it confined to the
			// project, so neither the name nor a link leaves it.
			var err error
			if data, err = readConfined(dir, k); err != nil {
				return nil, fmt.Errorf("trust key: %w", err)
			}
		}
		pk, err := LoadPublicKey(name, data)
		if err != nil {
			return nil, err
		}
		p.Keys = append(p.Keys, pk)
	}
	return p, nil
}

// Verify judges the signatures found for digest.
func (p *Policy) Verify(digest string, sigs []Signature) Result {
	short := digest
	if len(short) > 19 {
		short = short[:19] + "…"
	}
	r := Result{Digest: digest}
	if len(sigs) == 0 {
		r.State = Unsigned
		r.Reason = fmt.Sprintf("%s is unsigned: no signature under %s", digest, Tag(digest))
		return r
	}
	var other, tampered, unknown *Result
	for _, s := range sigs {
		raw, err := base64.StdEncoding.DecodeString(s.Base64)
		claims, cerr := s.Claims()
		// The payload is anyone's: what it says is printed on terminals.
		claims = printableClaims(claims)
		for _, k := range p.Keys {
			if err != nil || k.VerifySignature(bytes.NewReader(raw), bytes.NewReader(s.Payload)) != nil {
				continue
			}
			if cerr == nil && claims.Digest == digest {
				return Result{Digest: digest, State: Verified, KeyID: k.KeyID, Key: keyName(k), Signer: claims.Signer,
					Reason: fmt.Sprintf("%s is signed by %s (%s)%s", digest, keyName(k), k.KeyID, by(claims.Signer))}
			}
			if other == nil {
				other = &Result{Digest: digest, State: OtherDigest, KeyID: k.KeyID, Key: keyName(k), Signer: claims.Signer,
					Reason: fmt.Sprintf("%s carries a signature by %s made for another digest, %s: a signature moved from another image does not count", short, keyName(k), claims.Digest)}
			}
		}
		// No trusted key verifies it. A payload that names a trusted key
		// was signed by it and altered since; otherwise the key is
		// unknown (a key dropped from trust.keys lands here too).
		if k := p.key(claims.KeyID); k != nil && tampered == nil {
			tampered = &Result{Digest: digest, State: Tampered, KeyID: k.KeyID, Key: keyName(k), Signer: claims.Signer,
				Reason: fmt.Sprintf("%s has a signature claiming %s that does not verify: its payload or signature was altered", short, keyName(k))}
		}
		if unknown == nil {
			id := claims.KeyID
			if id == "" {
				id = "a key that does not name itself"
			}
			unknown = &Result{Digest: digest, State: UnknownKey, KeyID: claims.KeyID, Signer: claims.Signer,
				Reason: fmt.Sprintf("%s is signed by %s%s, which ferry.yaml's trust.keys does not list", short, id, by(claims.Signer))}
		}
	}
	for _, c := range []*Result{other, tampered, unknown} {
		if c != nil {
			return *c
		}
	}
	return r
}

func (p *Policy) key(id string) *PublicKey {
	if id == "" {
		return nil
	}
	for _, k := range p.Keys {
		if k.KeyID == id {
			return k
		}
	}
	return nil
}

// printableClaims returns c with no terminal escapes in what ferry prints
// of it: a signature's payload is written by whoever signed.
func printableClaims(c Claims) Claims {
	c.Signer = secret.PrintableLine(c.Signer)
	c.KeyID = secret.PrintableLine(c.KeyID)
	c.Digest = secret.PrintableLine(c.Digest)
	return c
}

// keyName is a trusted key's name, fit for a terminal: it comes from a
// file name or ferry.yaml, which a pull request can change.
func keyName(k *PublicKey) string { return secret.PrintableLine(k.Name) }

func by(signer string) string {
	if signer == "" {
		return ""
	}
	return ", signer " + signer
}

func readConfined(dir, name string) ([]byte, error) {
	root, err := confine.Open(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	return root.ReadFile(name)
}
