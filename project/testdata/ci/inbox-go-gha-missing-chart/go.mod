module github.com/acme/inbox

go 1.22
