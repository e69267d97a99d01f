package render

import (
	"strings"
	"sync/atomic"
)

// Decrypter turns a SOPS-encrypted values file into its plaintext YAML.
//
// render does not decrypt by itself: the Decrypter that runs the user's
// sops executable lives in package sopsvalues, and the CLI installs it
// with SetDecrypter. It is asked only for files with a sops: section.
type Decrypter interface {
	// Decrypt returns the plaintext of data, the content of the values
	// file name (relative to the project). Its error is one line that
	// says what to do, such as which key variable to set, and never
	// quotes the plaintext.
	Decrypt(name string, data []byte) ([]byte, error)
}

type decrypterBox struct{ d Decrypter }

var decrypter atomic.Pointer[decrypterBox]

// SetDecrypter installs d for every later render; nil uninstalls it.
func SetDecrypter(d Decrypter) {
	if d == nil {
		decrypter.Store(nil)
		return
	}
	decrypter.Store(&decrypterBox{d})
}

// decrypt decrypts the SOPS file name whose sops: section is at line.
func decrypt(name string, line int, data []byte) ([]byte, error) {
	box := decrypter.Load()
	if box == nil {
		return nil, &InputError{File: name, Line: line, Msg: "is SOPS-encrypted and this ferry was built without SOPS decryption: decrypt it in the pipeline (sops -d, helm secrets) and name the decrypted file in ferry.yaml values:, or leave the environment out with exclude:"}
	}
	plain, err := box.d.Decrypt(name, data)
	if err != nil {
		return nil, &InputError{File: name, Line: line, Msg: "is SOPS-encrypted and could not be decrypted: " + err.Error()}
	}
	return plain, nil
}

// seal marks as secret every value that holds a decrypted one, however
// it got there: provenance marks what it traces (Source.Encrypted), and
// this catches what it cannot, such as a value spliced by a helper when
// the tracing render failed. A short or boolean decrypted value counts
// only where it is the whole value, so that "true" or "app" decrypted
// somewhere does not hide every such value.
func seal(res *Result, sealed []string) {
	whole := map[string]bool{}
	var parts []string
	for _, s := range sealed {
		switch {
		case s == "" || boolOrNumber(s):
		case len(s) >= 6:
			parts = append(parts, s)
			whole[s] = true
		default:
			whole[s] = true
		}
	}
	holds := func(v string) bool {
		if whole[v] {
			return true
		}
		for _, p := range parts {
			if strings.Contains(v, p) {
				return true
			}
		}
		return false
	}
	for i := range res.Workloads {
		for j := range res.Workloads[i].Containers {
			cfg := res.Workloads[i].Containers[j].Config
			for k := range cfg.Entries {
				e := &cfg.Entries[k]
				if e.Source.Encrypted || (!e.External && holds(e.Value)) {
					e.Secret, e.Source.Encrypted = true, true
				}
				for s := range e.Shadows {
					sh := &e.Shadows[s]
					if sh.Source.Encrypted || holds(sh.Value) {
						sh.Secret, sh.Source.Encrypted = true, true
					}
				}
			}
		}
	}
	for i := range res.SecretValues {
		if holds(res.SecretValues[i].Value) {
			res.SecretValues[i].Source.Encrypted = true
		}
	}
}

// unknownStandIns makes every value that holds a stand-in for a value
// not decrypted (see Renderer.ForCheck) unknown until run time:
// a stand-in true or 1 is no setting anyone chose, and no rule may judge
// it as one.
func unknownStandIns(res *Result) {
	for i := range res.Workloads {
		for j := range res.Workloads[i].Containers {
			cfg := res.Workloads[i].Containers[j].Config
			for k := range cfg.Entries {
				if e := &cfg.Entries[k]; e.Source.Encrypted {
					e.External, e.Value = true, ""
				}
			}
		}
	}
}
