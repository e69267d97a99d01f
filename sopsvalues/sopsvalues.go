// Package sopsvalues decrypts SOPS-encrypted Helm values files by running
// the user's own sops executable, as `helm secrets` does, so that ferry
// renders an environment whose values are encrypted in the repository the
// way `sops -d` sees them.
//
// The keys are the user's, found by sops where it always looks: age
// identities in SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD or the
// default keys file (<user config dir>/sops/age/keys.txt), PGP keys
// through gpg and its agent, and the cloud key services through their
// usual credentials. Without a key the error says which to set.
//
// ferry does not link the SOPS library: it brings every cloud key
// service's SDK (AWS, Google Cloud, Azure, Vault: a third of the binary
// and of every command's start-up), while SOPS users have sops already.
// sops is looked for only when a values file has a sops: section.
package sopsvalues

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ferrydev/ferry/render"
)

// Command is the name of the executable Decrypter runs, looked up in PATH.
const Command = "sops"

// sops's exit statuses that ferry explains (sops/v3/cmd/sops/codes).
const (
	exitMacMismatch         = 51
	exitCouldNotRetrieveKey = 128
)

// Decrypter decrypts SOPS YAML files with the sops executable on PATH and
// the user's keys, as `sops --decrypt` does.
type Decrypter struct{}

var _ render.Decrypter = Decrypter{}

// Install makes every later render decrypt SOPS values files. It costs
// nothing until a values file is encrypted.
func Install() { render.SetDecrypter(Decrypter{}) }

// Decrypt returns the plaintext YAML of the SOPS file name. sops checks
// the MAC: a file edited by hand after encryption is refused. The
// plaintext goes only to the returned slice: sops writes it to a pipe,
// never to a file, and no error quotes it.
func (Decrypter) Decrypt(name string, data []byte) ([]byte, error) {
	bin, err := exec.LookPath(Command)
	if err != nil {
		return nil, fmt.Errorf("decrypting it needs the %s command, and none is on PATH: install sops (the same one `helm secrets` uses), or decrypt it in the pipeline and name the decrypted file in ferry.yaml values:", Command)
	}
	// sops reads a file (older versions cannot read stdin): the
	// ciphertext, which is committed anyway, goes to a private temporary
	// copy so that the argument does not depend on the working directory.
	tmp, err := os.CreateTemp("", "ferry-sops-*.yaml")
	if err != nil {
		return nil, fmt.Errorf("copying it for %s: %w", Command, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("copying it for %s: %w", Command, err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("copying it for %s: %w", Command, err)
	}

	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "--decrypt", "--input-type", "yaml", "--output-type", "yaml", tmp.Name())
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if err == nil {
		return stdout.Bytes(), nil
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		return nil, fmt.Errorf("running %s: %w", bin, err)
	}
	switch exit.ExitCode() {
	case exitCouldNotRetrieveKey:
		return nil, fmt.Errorf("%s found %s", Command, noKey(data))
	case exitMacMismatch:
		return nil, fmt.Errorf("%s refused it: its MAC does not match its values (edited after encryption?): re-encrypt it with sops", Command)
	}
	return nil, fmt.Errorf("%s failed (%s): %s", bin, exit, oneLine(stderr.String()))
}

// oneLine joins what sops said into one line, short enough to read. sops
// never prints plaintext when it fails to decrypt.
func oneLine(s string) string {
	var parts []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	out := strings.Join(parts, "; ")
	if out == "" {
		return "it printed nothing"
	}
	if r := []rune(out); len(r) > 400 {
		out = string(r[:400]) + "…"
	}
	return out
}

// metadata is the part of a file's sops: section that names its keys.
type metadata struct {
	Age []struct {
		Recipient string `yaml:"recipient"`
	} `yaml:"age"`
	PGP []struct {
		FP string `yaml:"fp"`
	} `yaml:"pgp"`
	KMS []struct {
		ARN string `yaml:"arn"`
	} `yaml:"kms"`
	GCPKMS []struct {
		ResourceID string `yaml:"resource_id"`
	} `yaml:"gcp_kms"`
	AzureKV []struct {
		VaultURL string `yaml:"vault_url"`
		Name     string `yaml:"name"`
	} `yaml:"azure_kv"`
	HCVault []struct {
		Address string `yaml:"vault_address"`
		Engine  string `yaml:"engine_path"`
		Key     string `yaml:"key_name"`
	} `yaml:"hc_vault"`
	// Shamir key groups hold the same lists, one per group.
	KeyGroups []metadata `yaml:"key_groups"`
}

// keys lists, by kind, the keys m names.
func (m metadata) keys(out map[string][]string) {
	add := func(kind, key string) {
		if key != "" && !slices.Contains(out[kind], key) {
			out[kind] = append(out[kind], key)
		}
	}
	for _, k := range m.Age {
		add("age", k.Recipient)
	}
	for _, k := range m.PGP {
		add("pgp", k.FP)
	}
	for _, k := range m.KMS {
		add("kms", k.ARN)
	}
	for _, k := range m.GCPKMS {
		add("gcp_kms", k.ResourceID)
	}
	for _, k := range m.AzureKV {
		add("azure_kv", strings.TrimSuffix(k.VaultURL, "/")+"/keys/"+k.Name)
	}
	for _, k := range m.HCVault {
		add("hc_vault", strings.TrimSuffix(k.Address, "/")+"/v1/"+k.Engine+"/keys/"+k.Key)
	}
	for _, g := range m.KeyGroups {
		g.keys(out)
	}
}

// noKey says which keys the file is encrypted for and where sops looks
// for each kind.
func noKey(data []byte) string {
	var doc struct {
		Sops metadata `yaml:"sops"`
	}
	kinds := map[string][]string{}
	if yaml.Unmarshal(data, &doc) == nil {
		doc.Sops.keys(kinds)
	}
	var hints []string
	for _, t := range sortedKinds(kinds) {
		hints = append(hints, hint(t, kinds[t]))
	}
	if len(hints) == 0 {
		return "no key to decrypt it, and it names none"
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
	var out []string
	for _, k := range []string{"age", "pgp", "kms", "gcp_kms", "azure_kv", "hc_vault"} {
		if _, ok := m[k]; ok {
			out = append(out, k)
		}
	}
	return out
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
