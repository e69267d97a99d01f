module example.com/shop/inventory

go 1.26.0

require github.com/ferrydev/ferry/kit v0.0.0

replace (
	github.com/ferrydev/ferry/envfile => ../../../envfile
	github.com/ferrydev/ferry/kit => ../../../kit
)
