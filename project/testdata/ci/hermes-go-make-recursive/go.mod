module github.com/acme/hermes

go 1.22
