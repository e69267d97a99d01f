// Package sopsvalues decrypts SOPS-encrypted Helm values files with the
// SOPS library itself, so that ferry renders an environment whose values
// are encrypted in the repository the way `sops -d` would see them.
//
// The keys are the user's, found where sops looks for them: age
// identities in SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD or the
// default keys file (<user config dir>/sops/age/keys.txt), PGP keys
// through gpg and its agent, and the cloud key services through their
// usual credentials. Without a key the error says which to set.
//
// It is its own package because the SOPS library links every cloud key
// service: only the binaries that install it pay for compiling them.
package sopsvalues

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/aes"
	"github.com/getsops/sops/v3/config"
	"github.com/getsops/sops/v3/keyservice"
	sopsyaml "github.com/getsops/sops/v3/stores/yaml"

	"github.com/ferrydev/ferry/render"
)

// Decrypter decrypts SOPS YAML files with the local key services, as the
// sops command does without --keyservice.
type Decrypter struct{}

var _ render.Decrypter = Decrypter{}

// Install makes every later render decrypt SOPS values files.
func Install() { render.SetDecrypter(Decrypter{}) }

// Decrypt returns the plaintext YAML of the SOPS file name. The MAC is
// checked: a file edited by hand after encryption is refused, as sops
// refuses it.
func (Decrypter) Decrypt(name string, data []byte) ([]byte, error) {
	store := sopsyaml.NewStore(&config.YAMLStoreConfig{})
	tree, err := store.LoadEncryptedFile(data)
	if err != nil {
		return nil, fmt.Errorf("reading its sops: metadata: %w", err)
	}
	cipher := aes.NewCipher()
	key, err := tree.Metadata.GetDataKeyWithKeyServices([]keyservice.KeyServiceClient{keyservice.NewLocalClient()}, nil)
	if err != nil {
		return nil, errors.New(noKey(tree.Metadata))
	}
	mac, err := tree.Decrypt(key, cipher)
	if err != nil {
		return nil, fmt.Errorf("decrypting its values: %w", err)
	}
	fileMac, err := cipher.Decrypt(tree.Metadata.MessageAuthenticationCode, key, tree.Metadata.LastModified.Format(time.RFC3339))
	if err != nil || fileMac != mac {
		return nil, errors.New("its MAC does not match its values (edited after encryption?): re-encrypt it with sops")
	}
	plain, err := store.EmitPlainFile(tree.Branches)
	if err != nil {
		return nil, fmt.Errorf("writing its plaintext: %w", err)
	}
	return plain, nil
}

// noKey says which keys the file is encrypted for and where ferry, like
// sops, looks for each kind.
func noKey(md sops.Metadata) string {
	kinds := map[string][]string{}
	for _, g := range md.KeyGroups {
		for _, k := range g {
			t := k.TypeToIdentifier()
			if !slices.Contains(kinds[t], k.ToString()) {
				kinds[t] = append(kinds[t], k.ToString())
			}
		}
	}
	var hints []string
	for _, t := range sortedKinds(kinds) {
		hints = append(hints, hint(t, kinds[t]))
	}
	if len(hints) == 0 {
		return "it names no key to decrypt it with"
	}
	return "no key to decrypt it: " + strings.Join(hints, "; or ")
}

func hint(kind string, keys []string) string {
	ks := strings.Join(keys, ", ")
	switch kind {
	case "age":
		return fmt.Sprintf("set SOPS_AGE_KEY_FILE (or SOPS_AGE_KEY) to the age identity of %s, or put it in %s", ks, ageKeysFile())
	case "pgp":
		return fmt.Sprintf("import the PGP key %s into gpg (its agent decrypts)", ks)
	case "kms":
		return fmt.Sprintf("give AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID…) that may use KMS key %s", ks)
	case "gcp_kms":
		return fmt.Sprintf("give Google credentials (GOOGLE_APPLICATION_CREDENTIALS) that may use %s", ks)
	case "azure_kv":
		return fmt.Sprintf("give Azure credentials (AZURE_CLIENT_ID…) that may use %s", ks)
	case "hc_vault":
		return fmt.Sprintf("set VAULT_ADDR and VAULT_TOKEN for %s", ks)
	}
	return fmt.Sprintf("give the credentials of %s key %s", kind, ks)
}

// sortedKinds puts the kinds a developer most often holds first.
func sortedKinds(m map[string][]string) []string {
	order := []string{"age", "pgp", "kms", "gcp_kms", "azure_kv", "hc_vault"}
	var out []string
	for _, k := range order {
		if _, ok := m[k]; ok {
			out = append(out, k)
		}
	}
	var rest []string
	for k := range m {
		if !slices.Contains(order, k) {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	return append(out, rest...)
}

// ageKeysFile is where sops looks for age identities by default.
func ageKeysFile() string {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		var err error
		if dir, err = os.UserConfigDir(); err != nil {
			return "$XDG_CONFIG_HOME/sops/age/keys.txt"
		}
	}
	return filepath.Join(dir, "sops", "age", "keys.txt")
}
