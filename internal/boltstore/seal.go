package boltstore

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// Every record ferry writes — a revision, an environment's live revision,
// a metric sample, a log-level setting — is sealed: a version byte, the
// CRC-32C of where it is (its bucket path and key) and of what it is,
// then the record. A CRC finds every single-bit flip (and every burst
// up to 32 bits) in what it covers, so a flipped bit in a record, its key
// or its bucket's name is a damaged record, never a different digest or
// another live revision. Records written before sealing (JSON objects
// and 8-byte numbers) still read, unchecked.

// sealV1 starts a sealed record. No legacy record starts with it: they
// are JSON objects ('{') or 8-byte big-endian numbers read by length.
const sealV1 = 0x01

// sealLen is a seal's overhead: the version byte and the CRC.
const sealLen = 1 + 4

// sum is the CRC of a record's place and contents.
func sum(path [][]byte, key, payload []byte) uint32 {
	// crc32 builds the table once and hands back the same one; asked
	// for here rather than in a package-level var, which would be a call
	// at start-up for every command.
	castagnoli := crc32.MakeTable(crc32.Castagnoli)
	var n [binary.MaxVarintLen64]byte
	h := uint32(0)
	for _, part := range append(append(path[:len(path):len(path)], key), payload) {
		h = crc32.Update(h, castagnoli, n[:binary.PutUvarint(n[:], uint64(len(part)))])
		h = crc32.Update(h, castagnoli, part)
	}
	return h
}

// seal returns payload sealed for key in the bucket at path.
func seal(path [][]byte, key, payload []byte) []byte {
	out := make([]byte, sealLen, sealLen+len(payload))
	out[0] = sealV1
	binary.BigEndian.PutUint32(out[1:], sum(path, key, payload))
	return append(out, payload...)
}

// unseal returns the record stored as v under key in the bucket at path,
// or an error saying it is damaged. legacy says whether v is a record
// from before sealing, which is returned as it is.
func unseal(path [][]byte, key, v []byte, legacy func([]byte) bool) ([]byte, error) {
	if len(v) > 0 && v[0] == sealV1 {
		if len(v) < sealLen {
			return nil, fmt.Errorf("a record of %d bytes, shorter than its seal", len(v))
		}
		if got, want := binary.BigEndian.Uint32(v[1:]), sum(path, key, v[sealLen:]); got != want {
			return nil, fmt.Errorf("its checksum does not match (%08x, computed %08x)", got, want)
		}
		return v[sealLen:], nil
	}
	if legacy(v) {
		return v, nil
	}
	return nil, fmt.Errorf("a record in no format ferry writes")
}

// jsonRecord: records before sealing were JSON objects.
func jsonRecord(v []byte) bool { return len(v) > 0 && v[0] == '{' }

// numberRecord: a live revision before sealing was 8 bytes.
func numberRecord(v []byte) bool { return len(v) == 8 }

// Bucket paths of the sealed records.
func revsPath(env string) [][]byte   { return [][]byte{bucketEnvs, []byte(env), bucketRevs} }
func envPath(env string) [][]byte    { return [][]byte{bucketEnvs, []byte(env)} }
func levelsPath(env string) [][]byte { return [][]byte{bucketLevels, []byte(env)} }
func samplesPath(env string, rev int) [][]byte {
	return [][]byte{bucketSamples, []byte(env), itob(rev)}
}
