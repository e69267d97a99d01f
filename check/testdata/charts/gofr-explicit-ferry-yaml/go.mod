module github.com/acme/wallet

go 1.24

require (
	github.com/ferrydev/ferry/kit v0.4.0
)
