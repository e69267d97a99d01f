module github.com/acme/shipping

go 1.24

require gofr.dev v1.42.0
