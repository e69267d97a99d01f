package main

import (
	"os"

	"github.com/gin-gonic/gin"
)

func main() {
	r := gin.Default()
	_ = os.Getenv("QDRANT_HOST")
	r.Run(":8080")
}
