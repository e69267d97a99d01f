module github.com/acme/invites

go 1.22
