// Package envfile loads a service's layered configuration exactly as GoFr
// does: configs/.env, overlaid by configs/.<APP_ENV>.env (or .local.env when
// APP_ENV is unset), under the real process environment, which always wins.
//
// Files are parsed with github.com/joho/godotenv, the parser GoFr itself uses,
// so quoting, comments, "export" prefixes and ${VAR} expansion behave the same.
// On top of GoFr's semantics envfile remembers where every value came from
// (file:line) and what it shadows, so that tools can explain a value and
// typed getters can reject a bad one naming the line that set it.
//
// The package depends on nothing but godotenv: a service can import it
// without pulling in Helm, client-go or cobra.
package envfile
