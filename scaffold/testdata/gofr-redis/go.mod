module github.com/acme-labs/greeter

go 1.24

require gofr.dev v1.42.1
