package main

import (
	"os"

	"github.com/gin-gonic/gin"
)

func main() {
	r := gin.Default()
	prefix := os.Getenv("THUMBNAILER_PREFIX")
	r.GET(prefix+"/ping", func(c *gin.Context) { c.String(200, "pong") })
	_ = r.Run(":" + os.Getenv("THUMBNAILER_PORT"))
}
