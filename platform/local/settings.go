package local

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/ferrydev/ferry/project"
)

// Settings are the local target's own keys of an environment's ferry.yaml
// section: what only one machine needs.
type Settings struct {
	// Port is the port the service answers HTTP on, when its
	// configuration does not say it in a variable ferry knows (HTTP_PORT,
	// PORT, SERVER_PORT, APP_PORT); 0 when unset.
	Port int `yaml:"port"`
	// Env adds or replaces variables: ports, SQLite paths, anything that
	// must differ on one machine (${FERRY_DATA} is the environment's data
	// directory).
	Env map[string]string `yaml:"env"`
	// SecretsFile is a dotenv file outside the repository that supplies
	// the values of the Secrets the chart references; SecretsFileLine is
	// the ferry.yaml line that names it (0 when unknown).
	SecretsFile     string `yaml:"secretsFile"`
	SecretsFileLine int    `yaml:"-"`
}

// decode is the local target's platform.Decoder. A secrets file must be
// a regular file (it may lie outside the project, on purpose); one that
// others can read is a warning; one that does not exist is reported
// when a deploy needs it.
func decode(p *project.Project, e *project.Environment) (any, error) {
	s := &Settings{}
	if err := e.DecodeSettings("local", s); err != nil {
		return nil, err
	}
	if s.Env == nil {
		s.Env = map[string]string{}
	}
	if s.Port < 0 || s.Port > 65535 {
		return nil, fmt.Errorf("%s:%d: environment %q: port %d is not a TCP port", project.FileName, e.KeyLine("port"), e.Name, s.Port)
	}
	if s.SecretsFile == "" {
		return s, nil
	}
	s.SecretsFileLine = e.KeyLine("secretsFile")
	path := expandHome(s.SecretsFile)
	if !filepath.IsAbs(path) {
		path = filepath.Join(p.Dir, path)
	}
	st, err := os.Stat(path)
	if err != nil {
		return s, nil // needed only to deploy; reported there
	}
	if err := project.RegularWithin(st, project.MaxValuesSize); err != nil {
		return nil, fmt.Errorf("%s:%d: environment %q: secretsFile %s: %w", project.FileName, s.SecretsFileLine, e.Name, s.SecretsFile, err)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		// A deploy reads a file inside the project as it reads the rest
		// of the project; one outside only when it is yours alone
		// (trustedSecrets). The warning says which will happen.
		then := "a deploy still reads it, as part of the project"
		if filepath.IsAbs(expandHome(s.SecretsFile)) {
			then = "so a deploy will not read it"
		}
		p.Warnings = append(p.Warnings, fmt.Sprintf("%s:%d: environment %q: secretsFile %s is readable by others (mode %04o); %s: chmod 600 it",
			project.FileName, s.SecretsFileLine, e.Name, s.SecretsFile, perm, then))
	}
	return s, nil
}

// Of returns the local settings of e, decoding them when nothing has
// (an environment built by hand); a section that does not decode gives
// the zero settings, the error being platform.Open's to report.
func Of(e *project.Environment) *Settings {
	if s, ok := e.Settings.(*Settings); ok {
		return s
	}
	s := &Settings{}
	if e.DecodeSettings("local", s) == nil {
		s.SecretsFileLine = e.KeyLine("secretsFile")
	}
	if s.Env == nil {
		s.Env = map[string]string{}
	}
	e.Settings = s
	return s
}
