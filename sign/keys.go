// Package sign signs image digests and verifies their signatures the way
// cosign does, on the sigstore Go libraries: a "cosign container image
// signature" payload (sigstore's payload.Cosign) signed with an ECDSA
// P-256 or Ed25519 key, stored as a layer of the image tagged
// sha256-<hex>.sig in the image's repository (cosign's tag convention),
// with the base64 signature in the layer's
// dev.cosignproject.cosign/signature annotation. Keys are cosign's too:
// the private key PEM is "ENCRYPTED SIGSTORE PRIVATE KEY" (scrypt +
// secretbox, by sigstore's cryptoutils), the public key a PKIX PEM.
//
// A Policy names the keys a project trusts. Keyless (OIDC certificate)
// signatures are not verifiable offline; the Policy is shaped so that
// identities (issuer + subject) can join keys as another kind of trust.
package sign

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/user"
	"strings"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/ferrydev/ferry/internal/sentinel"
)

// Environment variables read for keys.
const (
	// EnvKey holds the private key: a file path, the PEM itself (as a CI
	// secret store hands it over), or env://NAME for another variable.
	EnvKey = "FERRY_SIGNING_KEY"
	// EnvPassword holds the private key's passphrase.
	EnvPassword = "FERRY_SIGNING_PASSWORD"
)

// Algorithm is a key type ferry generates.
type Algorithm string

// The algorithms.
const (
	ECDSAP256 Algorithm = "ecdsa-p256"
	Ed25519   Algorithm = "ed25519"
)

// Errors a caller tells apart.
var (
	// ErrPassword is a passphrase that does not open the private key.
	ErrPassword error = &sentinel.Error{Text: "wrong passphrase"}
	// ErrNotKey is a file that holds no key ferry can use.
	ErrNotKey error = &sentinel.Error{Text: "not a key"}
	// ErrNoKey is a signing key that was not given or cannot be reached.
	ErrNoKey error = &sentinel.Error{Text: "no signing key"}
)

// GenerateKeyPair returns a new key pair: the private key encrypted with
// password (which must not be empty), both PEM-encoded.
func GenerateKeyPair(alg Algorithm, password []byte) (privPEM, pubPEM []byte, err error) {
	if len(password) == 0 {
		return nil, nil, fmt.Errorf("generate key: empty passphrase (set %s)", EnvPassword)
	}
	var priv crypto.Signer
	switch alg {
	case ECDSAP256, "":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case Ed25519:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		return nil, nil, fmt.Errorf("generate key: algorithm %q: want %s or %s", alg, ECDSAP256, Ed25519)
	}
	if err != nil {
		return nil, nil, err
	}
	der, err := cryptoutils.MarshalPrivateKeyToEncryptedDER(priv, cryptoutils.StaticPasswordFunc(password))
	if err != nil {
		return nil, nil, fmt.Errorf("encrypt private key: %w", err)
	}
	pubPEM, err = cryptoutils.MarshalPublicKeyToPEM(priv.Public())
	if err != nil {
		return nil, nil, err
	}
	return cryptoutils.PEMEncode(cryptoutils.EncryptedSigstorePrivateKeyPEMType, der), pubPEM, nil
}

// Signer signs with one private key.
type Signer struct {
	signature.Signer
	// KeyID is the fingerprint of the public key: sha256:<hex> of its
	// PKIX DER encoding.
	KeyID string
	// Source says where the key came from, for messages.
	Source string
}

// LoadSigner opens the private key PEM with password. name is where the
// PEM came from, for messages.
func LoadSigner(name string, pemData, password []byte) (*Signer, error) {
	if !bytes.Contains(pemData, []byte("PRIVATE KEY-----")) {
		return nil, fmt.Errorf("%s: %w: no PEM private key", name, ErrNotKey)
	}
	priv, err := cryptoutils.UnmarshalPEMToPrivateKey(pemData, cryptoutils.StaticPasswordFunc(password))
	if err != nil {
		if bytes.Contains(pemData, []byte("ENCRYPTED")) && strings.Contains(err.Error(), "decrypt") {
			return nil, fmt.Errorf("%s: %w (%s)", name, ErrPassword, EnvPassword)
		}
		return nil, fmt.Errorf("%s: %w: %v", name, ErrNotKey, err)
	}
	var s signature.Signer
	switch k := priv.(type) {
	case *ecdsa.PrivateKey:
		s, err = signature.LoadECDSASignerVerifier(k, crypto.SHA256)
	case ed25519.PrivateKey:
		s, err = signature.LoadED25519SignerVerifier(k)
	default:
		return nil, fmt.Errorf("%s: %w: %T keys are not supported (ECDSA P-256 or Ed25519)", name, ErrNotKey, priv)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	pub, err := s.PublicKey()
	if err != nil {
		return nil, err
	}
	id, err := KeyID(pub)
	if err != nil {
		return nil, err
	}
	return &Signer{Signer: s, KeyID: id, Source: name}, nil
}

// LoadSignerFrom loads the private key named by ref (a file path; "" means
// $FERRY_SIGNING_KEY, which may also hold the PEM or env://NAME), with the
// passphrase in $FERRY_SIGNING_PASSWORD.
func LoadSignerFrom(ref string) (*Signer, error) {
	name, data, err := readKeyRef(ref)
	if err != nil {
		return nil, err
	}
	return LoadSigner(name, data, []byte(os.Getenv(EnvPassword)))
}

func readKeyRef(ref string) (name string, data []byte, err error) {
	if ref == "" {
		ref = os.Getenv(EnvKey)
		if ref == "" {
			return "", nil, fmt.Errorf("%w: pass --key or set %s", ErrNoKey, EnvKey)
		}
		if strings.Contains(ref, "-----BEGIN") {
			return "$" + EnvKey, []byte(ref), nil
		}
	}
	if v, ok := strings.CutPrefix(ref, "env://"); ok {
		pemData := os.Getenv(v)
		if pemData == "" {
			return "", nil, fmt.Errorf("%w: %s: $%s is empty", ErrNoKey, ref, v)
		}
		return "$" + v, []byte(pemData), nil
	}
	if i := strings.Index(ref, "://"); i > 0 {
		// KMS references (awskms://, gcpkms://, hashivault://) name keys
		// that never leave their service; none is reachable offline.
		return "", nil, fmt.Errorf("%w: %s: %s:// keys are not supported yet (a key file or PEM is)", ErrNoKey, ref, ref[:i])
	}
	data, err = os.ReadFile(ref)
	if err != nil {
		return "", nil, fmt.Errorf("%w: %w", ErrNoKey, err)
	}
	return ref, data, nil
}

// PublicKey is a key a policy trusts.
type PublicKey struct {
	signature.Verifier
	KeyID string
	// Name is how the policy names the key: its file, or "key N" for an
	// inline PEM.
	Name string
}

// LoadPublicKey parses a PEM public key (PKIX, as cosign writes it).
func LoadPublicKey(name string, pemData []byte) (*PublicKey, error) {
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(pemData)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: want a PEM public key (cosign.pub): %v", name, ErrNotKey, err)
	}
	var v signature.Verifier
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		v, err = signature.LoadECDSAVerifier(k, crypto.SHA256)
	case ed25519.PublicKey:
		v, err = signature.LoadED25519Verifier(k)
	default:
		return nil, fmt.Errorf("%s: %w: %T keys are not supported (ECDSA or Ed25519)", name, ErrNotKey, pub)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	id, err := KeyID(pub)
	if err != nil {
		return nil, err
	}
	return &PublicKey{Verifier: v, KeyID: id, Name: name}, nil
}

// KeyID is the fingerprint of a public key: sha256:<hex> of its PKIX DER.
func KeyID(pub crypto.PublicKey) (string, error) {
	der, err := cryptoutils.MarshalPublicKeyToDER(pub)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(der)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// Identity names who signs, for the signed payload: the CI job when ferry
// runs in one, else user@host.
func Identity() string {
	if os.Getenv("GITHUB_ACTIONS") == "true" {
		return "github-actions:" + os.Getenv("GITHUB_REPOSITORY") + "/" + os.Getenv("GITHUB_WORKFLOW") + "#" + os.Getenv("GITHUB_RUN_ID")
	}
	if os.Getenv("GITLAB_CI") == "true" {
		return "gitlab-ci:" + os.Getenv("CI_PROJECT_PATH") + "#" + os.Getenv("CI_PIPELINE_ID")
	}
	u := os.Getenv("USER")
	if u == "" {
		if cur, err := user.Current(); err == nil {
			u = cur.Username
		}
	}
	host, _ := os.Hostname()
	return u + "@" + host
}
