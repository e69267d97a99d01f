package main

import (
	"log"
	"net/http"
	"os"
)

func main() {
	addr := ":" + os.Getenv("PORT")
	log.Fatal(http.ListenAndServe(addr, http.NotFoundHandler()))
}
