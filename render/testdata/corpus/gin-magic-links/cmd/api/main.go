// Command api signs users in with magic links it fills in itself.
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/gin-gonic/gin"
)

func main() {
	r := gin.Default()
	r.POST("/login", func(c *gin.Context) {
		link := fmt.Sprintf(os.Getenv("MAGIC_LINK_URL"), c.PostForm("token"))
		reset := strings.NewReplacer("{token}", c.PostForm("token")).Replace(os.Getenv("RESET_URL"))
		c.JSON(200, gin.H{"link": link, "reset": reset})
	})
	r.Run(":" + os.Getenv("PORT"))
}
