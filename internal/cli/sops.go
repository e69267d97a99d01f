package cli

import "github.com/ferrydev/ferry/sopsvalues"

// Every command that renders decrypts SOPS values files with the user's
// keys, as `sops -d` would; render itself stays free of the SOPS library
// and its cloud key services (see render.Decrypter).
func init() { sopsvalues.Install() }
