package sign_test

import (
	"fmt"

	"github.com/ferrydev/ferry/sign"
)

// The tag cosign looks under for the signatures of a digest.
func ExampleTag() {
	fmt.Println(sign.Tag("sha256:3f1c5d0e8a9b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d"))
	// Output: sha256-3f1c5d0e8a9b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d.sig
}
