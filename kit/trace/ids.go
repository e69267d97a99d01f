package trace

import (
	"context"
	"encoding/binary"
	"math/rand/v2"

	oteltrace "go.opentelemetry.io/otel/trace"
)

// NewIDs returns a random trace and span ID, as the SDK's default
// generator does. A server that samples a root span itself, before
// starting it, starts it with WithIDs so that the SDK keeps the IDs the
// decision was made on.
func NewIDs() (oteltrace.TraceID, oteltrace.SpanID) {
	var tid oteltrace.TraceID
	for !tid.IsValid() {
		binary.NativeEndian.PutUint64(tid[:8], rand.Uint64())
		binary.NativeEndian.PutUint64(tid[8:], rand.Uint64())
	}
	return tid, newSpanID()
}

func newSpanID() oteltrace.SpanID {
	var sid oteltrace.SpanID
	for !sid.IsValid() {
		binary.NativeEndian.PutUint64(sid[:], rand.Uint64())
	}
	return sid
}

type presetIDsKey struct{}

type presetIDs struct {
	tid oteltrace.TraceID
	sid oteltrace.SpanID
}

// WithIDs makes the next root span started with ctx take tid and sid.
func WithIDs(ctx context.Context, tid oteltrace.TraceID, sid oteltrace.SpanID) context.Context {
	return context.WithValue(ctx, presetIDsKey{}, presetIDs{tid, sid})
}

// idGenerator is the SDK's random generator, except that a root span
// takes the IDs WithIDs put in its context.
type idGenerator struct{}

func (idGenerator) NewIDs(ctx context.Context) (oteltrace.TraceID, oteltrace.SpanID) {
	if p, ok := ctx.Value(presetIDsKey{}).(presetIDs); ok {
		return p.tid, p.sid
	}
	return NewIDs()
}

func (idGenerator) NewSpanID(context.Context, oteltrace.TraceID) oteltrace.SpanID {
	return newSpanID()
}
