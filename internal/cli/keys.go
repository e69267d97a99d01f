package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/ferrydev/ferry/sign"
)

type keysGenerateOptions struct {
	Algorithm string
	Out       string
	Force     bool
}

const keysGenerateLong = `Generate writes a signing key pair: <out>.key, the private key encrypted
with the passphrase in FERRY_SIGNING_PASSWORD (file mode 0600), and
<out>.pub, the public key that ferry.yaml's trust.keys lists. Both are in
cosign's format: cosign sign --key and cosign verify --key read them.

Keep the private key out of the repository: store its content and the
passphrase in the CI's secret store (FERRY_SIGNING_KEY and
FERRY_SIGNING_PASSWORD). Commit the public key.`

const keysGenerateExample = `  FERRY_SIGNING_PASSWORD=… ferry keys generate
  FERRY_SIGNING_PASSWORD=… ferry keys generate --algorithm ed25519 --out keys/ci`

func newKeysCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "keys <command>",
		Short:   "Manage signing keys",
		Long:    "Keys manages the key pairs ferry signs image digests with.",
		Example: "  FERRY_SIGNING_PASSWORD=… ferry keys generate",
		Args:    exactArgs(0),
	}
	opts := &keysGenerateOptions{}
	gen := &cobra.Command{
		Use:     "generate [--algorithm ecdsa-p256|ed25519] [--out <prefix>] [--force]",
		Short:   "Write a signing key pair (private key encrypted)",
		Long:    keysGenerateLong,
		Example: keysGenerateExample,
		Args:    exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runKeysGenerate(g, opts)
		},
	}
	gen.Flags().StringVar(&opts.Algorithm, "algorithm", string(sign.ECDSAP256), "ecdsa-p256 or ed25519")
	gen.Flags().StringVar(&opts.Out, "out", "ferry", "path prefix of the files, relative to -C: <out>.key and <out>.pub")
	gen.Flags().BoolVar(&opts.Force, "force", false, "replace existing key files")
	cmd.AddCommand(gen)
	return cmd
}

func runKeysGenerate(g *globalOptions, opts *keysGenerateOptions) error {
	out := opts.Out
	if !filepath.IsAbs(out) {
		dir, err := filepath.Abs(g.Dir)
		if err != nil {
			return err
		}
		out = filepath.Join(dir, out)
	}
	privPath, pubPath := out+".key", out+".pub"
	if !opts.Force {
		for _, p := range []string{privPath, pubPath} {
			if _, err := os.Lstat(p); err == nil {
				return usageError(fmt.Errorf("%s exists: --force replaces it", p))
			}
		}
	}
	pw := os.Getenv(sign.EnvPassword)
	if pw == "" {
		return usageError(fmt.Errorf("set %s to the passphrase that encrypts the private key", sign.EnvPassword))
	}
	priv, pub, err := sign.GenerateKeyPair(sign.Algorithm(opts.Algorithm), []byte(pw))
	if err != nil {
		return usageError(err)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	// Remove first: WriteFile keeps the mode of a file that exists.
	os.Remove(privPath)
	if err := os.WriteFile(privPath, priv, 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(pubPath, pub, 0o644); err != nil {
		return err
	}
	pk, err := sign.LoadPublicKey(pubPath, pub)
	if err != nil {
		return err
	}
	fmt.Fprintf(g.streams.Out, "wrote %s (private, 0600) and %s\nkey %s\n", privPath, pubPath, pk.KeyID)
	rel := pubPath
	if dir, err := filepath.Abs(g.Dir); err == nil {
		if r, err := filepath.Rel(dir, pubPath); err == nil {
			rel = r
		}
	}
	fmt.Fprintf(g.streams.Out, "trust it in ferry.yaml:\n  trust:\n    keys: [%s]\n", filepath.ToSlash(rel))
	return nil
}

// signErr: a missing, unreadable or locked key is the user's input.
func signErr(err error) error {
	if errors.Is(err, sign.ErrPassword) || errors.Is(err, sign.ErrNotKey) || errors.Is(err, sign.ErrNoKey) {
		return usageError(err)
	}
	return err
}
