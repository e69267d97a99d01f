module github.com/acme/mono/services/orders

go 1.22

require gofr.dev v1.19.0
