module github.com/northwind/stratus

go 1.22

require github.com/gin-gonic/gin v1.9.1
