package main

import (
	"log"
	"net/http"
	"os"

	"github.com/go-chi/chi/v5"

	"github.com/acme/shipping/internal/config"
)

func main() {
	cfg := config.Load()
	r := chi.NewRouter()
	log.Printf("starting shipping in %s", os.Getenv("APP_ENV"))
	if cfg.Env == "production" {
		r.Use(requireMTLS)
	}
	log.Fatal(http.ListenAndServe(":"+cfg.Port, r))
}

func requireMTLS(next http.Handler) http.Handler { return next }
