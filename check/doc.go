// Package check is ferry's rule engine: it checks a project's environments
// against each other and against GoFr's runtime contract before anything
// is deployed.
//
// A Rule sees an Input — the effective configuration and rendered
// manifests of every environment, the project (promotion path, targets,
// ferry.yaml) and the service's Go source — and returns Findings. Rules
// live one family per file (datasources.go, telemetry.go, image.go,
// secrets.go, appenv.go, lifecycle.go, values.go, target.go) and register
// themselves, so adding a rule touches one file and its test. Run applies
// the project's accepted findings (ferry.yaml accept:) and produces a
// Report, which the reporters write as text, JSON or SARIF 2.1.0.
//
// The rules model GoFr's real behaviour (see GOFR-CONTRACT.md): defaults
// are filled in exactly as GoFr fills them, so two environments that
// "differ" only in that one spells out a default still share a database.
package check
