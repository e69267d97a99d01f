// Command leanservice is a kit service for TestLeanBuild, built with the
// tags that leave every datasource client out.
package main

import (
	"net/http"
	"os"

	"github.com/ferrydev/ferry/kit"
)

func main() {
	os.Exit(kit.Main(kit.Options{}, func(app *kit.App) error {
		app.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
			kit.WriteJSON(w, http.StatusOK, "hello")
		})
		return nil
	}))
}
