package sign

import "testing"

// BenchmarkSign is one signature over a digest's payload (what ferry
// build --sign adds once the key is open).
func BenchmarkSign(b *testing.B) {
	for _, alg := range []Algorithm{ECDSAP256, Ed25519} {
		b.Run(string(alg), func(b *testing.B) {
			k := newKey(b, alg)
			d := digestOf("bench")
			for b.Loop() {
				if _, err := Sign(k.signer, "orders-api", d, "ci"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerify is the signature gate's work once the signatures are
// read: a policy of three keys, the trusted signature last among three.
func BenchmarkVerify(b *testing.B) {
	keys := []keyPair{newKey(b, ECDSAP256), newKey(b, Ed25519), newKey(b, ECDSAP256)}
	d := digestOf("bench")
	var sigs []Signature
	for _, k := range keys {
		s, _ := Sign(k.signer, "orders-api", d, "ci")
		sigs = append(sigs, *s)
	}
	pol := &Policy{Keys: []*PublicKey{keys[2].pub}}
	for b.Loop() {
		if r := pol.Verify(d, sigs); !r.OK() {
			b.Fatal(r.Reason)
		}
	}
}

// BenchmarkOpenKey is scrypt's cost of opening an encrypted private key:
// paid once per ferry build --sign or ferry sign.
func BenchmarkOpenKey(b *testing.B) {
	priv, _, err := GenerateKeyPair(ECDSAP256, []byte("pw"))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := LoadSigner("k", priv, []byte("pw")); err != nil {
			b.Fatal(err)
		}
	}
}
