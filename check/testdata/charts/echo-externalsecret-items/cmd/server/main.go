package main

import (
	"net/http"
	"os"

	"github.com/labstack/echo/v4"
)

func main() {
	e := echo.New()
	e.GET("/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
	_ = os.Getenv("DATABASE_URL")
	_ = os.Getenv("SESSION_SECRET")
	e.Logger.Fatal(e.Start(":8080"))
}
