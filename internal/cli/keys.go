package cli

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/ferrydev/ferry/sign"
)

type keysGenerateOptions struct {
	Algorithm string
	Out       string
	Force     bool
}

const keysGenerateLong = `Generate writes a signing key pair: the private key, encrypted with the
passphrase in FERRY_SIGNING_PASSWORD (file mode 0600), and the public key
that ferry.yaml's trust.keys lists. Both are in cosign's format: cosign
sign --key and cosign verify --key read them.

By default the private key goes outside the repository, under your config
directory (~/.config/ferry/<service>/ferry.key), and the public key to
ferry.pub in the project. --out <prefix> writes <prefix>.key and
<prefix>.pub instead, and is refused where git would commit the private
key (inside a git work tree and not ignored).

Store the private key's content and the passphrase in the CI's secret
store (FERRY_SIGNING_KEY and FERRY_SIGNING_PASSWORD). Commit the public
key.`

const keysGenerateExample = `  FERRY_SIGNING_PASSWORD=… ferry keys generate
  FERRY_SIGNING_PASSWORD=… ferry keys generate --algorithm ed25519 --out ~/keys/ci`

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
	gen.Flags().StringVar(&opts.Out, "out", "", "path prefix of both files, relative to -C: <out>.key and <out>.pub (default: the private key under your config directory, ferry.pub here)")
	gen.Flags().BoolVar(&opts.Force, "force", false, "replace existing key files")
	cmd.AddCommand(gen)
	return cmd
}

func runKeysGenerate(g *globalOptions, opts *keysGenerateOptions) error {
	dir, err := filepath.Abs(g.Dir)
	if err != nil {
		return err
	}
	var privPath, pubPath string
	if opts.Out == "" {
		conf, err := os.UserConfigDir()
		if err != nil {
			return usageError(fmt.Errorf("no config directory for the private key (%v): name a place outside the repository with --out", err))
		}
		service := filepath.Base(dir)
		if p, err := g.loadProject(); err == nil && p.Service != "" {
			service = p.Service
		}
		privPath, pubPath = filepath.Join(conf, "ferry", service, "ferry.key"), filepath.Join(dir, "ferry.pub")
	} else {
		out := opts.Out
		if !filepath.IsAbs(out) {
			out = filepath.Join(dir, out)
		}
		privPath, pubPath = out+".key", out+".pub"
	}
	if err := committable(privPath); err != nil {
		return usageError(err)
	}
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
	if err := os.MkdirAll(filepath.Dir(privPath), 0o700); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(pubPath), 0o755); err != nil {
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
	if r, err := filepath.Rel(dir, pubPath); err == nil {
		rel = r
	}
	fmt.Fprintf(g.streams.Out, "trust it in ferry.yaml:\n  trust:\n    keys: [%s]\n", filepath.ToSlash(rel))
	fmt.Fprintf(g.streams.Out, "sign with it: --key %s, or FERRY_SIGNING_KEY (in CI: the file's content, from the secret store)\n", privPath)
	return nil
}

// committable refuses a private key path that git would commit: inside a
// git work tree and not ignored. Outside any work tree it is fine.
func committable(path string) error {
	root := ""
	for d := filepath.Dir(path); ; d = filepath.Dir(d) {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			root = d
			break
		}
		if filepath.Dir(d) == d {
			return nil
		}
	}
	cmd := exec.Command("git", "-C", root, "check-ignore", "-q", "--no-index", path)
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return nil // ignored
	case errors.As(err, &ee) && ee.ExitCode() == 1:
		return fmt.Errorf("%s is in the git work tree %s and not ignored: git would commit the private key; drop --out to keep it under your config directory, or ignore it in .gitignore", path, root)
	default:
		return fmt.Errorf("%s is in the git work tree %s, and whether git ignores it cannot be told (git check-ignore: %v): drop --out to keep the private key under your config directory", path, root, err)
	}
}

// signErr: a missing, unreadable or locked key is the user's input.
func signErr(err error) error {
	if errors.Is(err, sign.ErrPassword) || errors.Is(err, sign.ErrNotKey) || errors.Is(err, sign.ErrNoKey) {
		return usageError(err)
	}
	return err
}
