// Command yeller answers /yelling?word=x with X!; its only route is the
// one its chart probes.
package main

import (
	"log"
	"net/http"
	"os"
	"strings"
)

func main() {
	http.HandleFunc("/yelling", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.ToUpper(r.URL.Query().Get("word")) + "!"))
	})
	log.Fatal(http.ListenAndServe(":"+os.Getenv("PORT"), nil))
}
