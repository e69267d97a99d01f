// Command migrator applies the ledger's SQL migrations at start-up (as
// golang-migrate does from a file:// source), renders its receipts from
// templates/ and serves an embedded stylesheet.
package main

import (
	"embed"
	"fmt"
	"io/fs"
	"log"
	"net/http"
	"os"
	"strings"
	"text/template"

	"example.com/ledger/migrator/internal/store"
)

//go:embed static
var static embed.FS

// migrationsURL is what golang-migrate's migrate.New takes.
const migrationsURL = "file://migrations"

func main() {
	ups, err := fs.Glob(os.DirFS(strings.TrimPrefix(migrationsURL, "file://")), "*.up.sql")
	if err != nil || len(ups) == 0 {
		fmt.Println("no migrations:", err)
		os.Exit(1)
	}
	receipts, err := template.ParseGlob("templates/mail/*.tmpl")
	if err != nil {
		fmt.Println("no templates:", err)
		os.Exit(1)
	}
	seeds, err := os.ReadDir("./db/seed")
	if err != nil {
		fmt.Println("no seeds:", err)
		os.Exit(1)
	}
	css, _ := fs.ReadFile(static, "static/app.css")
	// The landing page; the chart under deploy/ is named for operators
	// only, as are the schema notes.
	http.Handle("/", http.FileServer(http.Dir("public")))
	log.Printf("deployed with %s, schema notes in %s", "deploy/chart", "docs-src")
	if _, err := os.Stat("public/index.html"); err != nil {
		fmt.Println("no landing page:", err)
		os.Exit(1)
	}
	fmt.Printf("migrations %d, templates %d, seeds %d, css %d bytes, store %s\n",
		len(ups), len(receipts.Templates()), len(seeds), len(css), store.Name)
}
