package check

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"strings"
)

// SARIF 2.1.0 (OASIS), the subset ferry emits: one run per check with
// the whole catalogue as rule metadata, results with physical locations,
// related locations for every value involved, and suppressions for
// accepted findings.

// SARIFSchemaURI names the schema the output conforms to.
const SARIFSchemaURI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations,omitempty"`
	Results     []sarifResult     `json:"results"`
}

// sarifInvocation reports what could not be checked: an environment that
// did not render is a tool execution notification, not a finding.
type sarifInvocation struct {
	ExecutionSuccessful bool                `json:"executionSuccessful"`
	Notifications       []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations,omitempty"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Version        string      `json:"version,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	ShortDescription     sarifText      `json:"shortDescription"`
	FullDescription      sarifText      `json:"fullDescription"`
	Help                 sarifText      `json:"help"`
	DefaultConfiguration sarifRuleLevel `json:"defaultConfiguration"`
	Properties           map[string]any `json:"properties,omitempty"`
}

type sarifRuleLevel struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations,omitempty"`
	RelatedLocations    []sarifLocation   `json:"relatedLocations,omitempty"`
	PartialFingerprints map[string]string `json:"partialFingerprints,omitempty"`
	Suppressions        []sarifSupp       `json:"suppressions,omitempty"`
	Properties          map[string]any    `json:"properties,omitempty"`
}

type sarifLocation struct {
	ID               *int          `json:"id,omitempty"`
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
	Message          *sarifText    `json:"message,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

type sarifSupp struct {
	Kind          string `json:"kind"`
	Status        string `json:"status"`
	Justification string `json:"justification,omitempty"`
}

func sarifLevel(s Severity) string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	}
	return "note"
}

// SARIFOptions shape the SARIF log.
type SARIFOptions struct {
	// Version is ferry's version, for the tool driver.
	Version string
}

// WriteSARIF writes reports as one SARIF 2.1.0 log with one run per
// project.
func WriteSARIF(w io.Writer, reports []*Report, opts SARIFOptions) error {
	rules := append(Rules(), staleAcceptance)
	index := map[string]int{}
	driver := sarifDriver{Name: "ferry", InformationURI: "https://github.com/ferrydev/ferry", Version: opts.Version}
	for i, r := range rules {
		index[r.ID] = i
		driver.Rules = append(driver.Rules, sarifRule{
			ID: r.ID, Name: r.Name,
			ShortDescription:     sarifText{r.Summary},
			FullDescription:      sarifText{r.Help},
			Help:                 sarifText{r.Help},
			DefaultConfiguration: sarifRuleLevel{sarifLevel(r.Severity)},
			Properties:           map[string]any{"tags": []string{"configuration", "environments"}},
		})
	}
	log := sarifLog{Schema: SARIFSchemaURI, Version: "2.1.0"}
	for _, rep := range reports {
		run := sarifRun{Tool: sarifTool{Driver: driver}, Results: []sarifResult{}}
		if len(rep.Problems) > 0 {
			inv := sarifInvocation{}
			for _, pr := range rep.Problems {
				n := sarifNotification{Level: "error", Message: sarifText{pr.Message}}
				if pr.Info {
					n.Level = "note"
				}
				if uri := artifactURI(rep.Dir, pr.File); uri != "" {
					n.Locations = []sarifLocation{{PhysicalLocation: physical(uri, pr.Line)}}
				}
				inv.Notifications = append(inv.Notifications, n)
			}
			run.Invocations = []sarifInvocation{inv}
		}
		for _, f := range rep.Findings {
			res := sarifResult{
				RuleID: f.Rule, RuleIndex: index[f.Rule], Level: sarifLevel(f.Severity),
				Message: sarifText{f.Message},
				Properties: map[string]any{
					"environments": f.Environments, "key": f.Key, "name": f.Name,
				},
				PartialFingerprints: map[string]string{"ferryFinding/v1": fingerprint(f)},
			}
			if uri := artifactURI(rep.Dir, f.File); uri != "" {
				res.Locations = []sarifLocation{{PhysicalLocation: physical(uri, f.Line)}}
			}
			id := 0
			for _, l := range f.Locations {
				uri := artifactURI(rep.Dir, l.File)
				if uri == "" {
					continue
				}
				id++
				text := l.Key
				if l.Environment != "" {
					text = l.envs() + ": " + l.Key
				}
				if l.Value != "" {
					text += "=" + l.Value
				}
				lid := id
				res.RelatedLocations = append(res.RelatedLocations, sarifLocation{
					ID: &lid, PhysicalLocation: physical(uri, l.Line), Message: &sarifText{text},
				})
			}
			if f.Accepted {
				res.Suppressions = []sarifSupp{{Kind: "external", Status: "accepted", Justification: f.Reason}}
			}
			run.Results = append(run.Results, res)
		}
		log.Runs = append(log.Runs, run)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(log)
}

func physical(uri string, line int) sarifPhysical {
	p := sarifPhysical{ArtifactLocation: sarifArtifact{URI: uri}}
	if line > 0 {
		p.Region = &sarifRegion{StartLine: line}
	}
	return p
}

// fingerprint identifies a finding across runs regardless of line moves:
// rule, environments and key.
func fingerprint(f Finding) string {
	h := sha256.Sum256([]byte(f.Rule + "|" + strings.Join(f.Environments, ",") + "|" + f.Key))
	return hex.EncodeToString(h[:8])
}
