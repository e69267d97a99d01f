package main

import (
	"flag"
	"log"
	"net/http"
	"os"
)

func main() {
	metricsPort := flag.Int("metrics-port", 9102, "port for /metrics")
	verbose := flag.Bool("v", false, "verbose")
	flag.Parse()
	_ = verbose
	go http.ListenAndServe(":"+itoa(*metricsPort), nil)
	port := os.Getenv("HTTP_PORT")
	if port == "" {
		port = "8080"
	}
	http.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {})
	log.Fatal(http.ListenAndServe(":"+port, nil))
}

func itoa(n int) string { return string(rune('0' + n%10)) }
