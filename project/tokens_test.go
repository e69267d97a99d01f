package project

import "testing"

// TestFindTokens reads the token-replacing steps real pipelines write:
// Azure's replacetokens task with its own prefix, with a named pattern
// and with its default, the replace-tokens GitHub action, and near misses
// (a comment, a step that only mentions tokens in its name elsewhere).
func TestFindTokens(t *testing.T) {
	for _, tc := range []struct {
		name, file, text string
		want             []Token
	}{
		{"azure prefix", "azure-pipelines.yml", `steps:
  - task: qetza.replacetokens.replacetokens-task.replacetokens@3
    inputs:
      targetFiles: '**/*.yaml'
      tokenPrefix: __
      tokenSuffix: __
  - task: HelmDeploy@0
    inputs:
      tokenPrefix: '#{'
`, []Token{{Prefix: "__", Suffix: "__", Line: 2}}},
		{"azure pattern", "cd.yml", `steps:
  - task: replacetokens@6
    inputs:
      sources: 'deploy/**/*.yaml'
      tokenPattern: octopus
`, []Token{{Prefix: "#{", Suffix: "}", Line: 2}}},
		{"default", "cd.yml", `steps:
- task: replacetokens@5
  inputs:
    targetFiles: chart/values.yaml
- script: helm upgrade --install api ./chart
`, []Token{{Prefix: "#{", Suffix: "}#", Line: 2}}},
		{"action", ".github/workflows/deploy.yml", `jobs:
  deploy:
    steps:
      - uses: cschleiden/replace-tokens@v1
        with:
          tokenPrefix: '{#'
          tokenSuffix: '#}'
          files: '["chart/values-prod.yaml"]'
`, []Token{{Prefix: "{#", Suffix: "#}", Line: 4}}},
		{"commented out", "cd.yml", `steps:
#  - task: replacetokens@3
- script: helm upgrade --install api ./chart
`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tokensIn([]byte(tc.text), tc.file)
			if len(got) != len(tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			for i, w := range tc.want {
				w.File = tc.file
				if got[i] != w {
					t.Errorf("token %d: got %+v, want %+v", i, got[i], w)
				}
			}
		})
	}
	e := &Environment{Tokens: []Token{{Prefix: "__", Suffix: "__"}}}
	for v, want := range map[string]bool{"__imageName__": true, "https://__host__/api": true, "__": false, "a__b c__": false, "plain": false} {
		if _, ok := e.TokenFilled(v); ok != want {
			t.Errorf("TokenFilled(%q) = %v, want %v", v, ok, want)
		}
	}
}
