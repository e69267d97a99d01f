module github.com/acme/stock

go 1.23

require gofr.dev v1.28.0
