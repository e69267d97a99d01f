package main

import (
	"gofr.dev/pkg/gofr"

	"github.com/acme/stock/handler"
)

func main() {
	app := gofr.New()
	app.GET("/items/{id}", handler.Item)
	app.Run()
}
