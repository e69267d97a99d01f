package main

import (
	"net/http"
	"os"

	log "github.com/sirupsen/logrus"
	flag "github.com/spf13/pflag"
)

var (
	listenAddr  string
	symbolsFile string
)

func init() {
	flag.StringVarP(&listenAddr, "host", "h", ":8000", "web server host and port")
	flag.StringVar(&symbolsFile, "symbols", "/data/symbols.json", "token symbols")
}

func main() {
	flag.Parse()
	if os.Getenv("TOKEN_LIST") == "" {
		log.Fatal("$TOKEN_LIST must not be empty")
	}
	http.HandleFunc("/health", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) })
	log.Infof("listening on %s", listenAddr)
	log.Fatal(http.ListenAndServe(listenAddr, nil))
}
