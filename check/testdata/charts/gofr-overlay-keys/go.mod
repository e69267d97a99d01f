module github.com/acme/notifications

go 1.24

require gofr.dev v1.42.0
