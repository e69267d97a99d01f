package envfile

import (
	"os"
	"strings"
	"testing"
)

// TestDependencies keeps envfile importable by any service: its module
// may require godotenv and nothing else (no Helm, client-go or cobra).
func TestDependencies(t *testing.T) {
	data, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	var requires []string
	inBlock := false
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "require (":
			inBlock = true
		case inBlock && line == ")":
			inBlock = false
		case inBlock && line != "":
			requires = append(requires, strings.Fields(line)[0])
		case strings.HasPrefix(line, "require "):
			requires = append(requires, strings.Fields(line)[1])
		}
	}
	if len(requires) != 1 || requires[0] != "github.com/joho/godotenv" {
		t.Errorf("envfile requires %v, want only github.com/joho/godotenv", requires)
	}
}
