package httpsend

import (
	"net/http/httptrace"
	"sync"
	"sync/atomic"
	"time"
)

// writeProgress follows how far a request was written, to tell a failure
// that certainly left the network untouched (nothing, or only part of the
// request, was sent) from one that may have reached it. The transport
// reports from its own goroutine and may still be writing when Do returns
// on a cancelled context; the write then fails at once on the closed
// connection, so mayHaveArrived waits briefly for that verdict and counts a
// write with no verdict as possibly arrived.
type writeProgress struct {
	state atomic.Int32
	once  sync.Once
	done  chan struct{}
}

const (
	writeNotStarted int32 = iota
	writeStarted
	writeFailed
	writeDone
)

// settleTimeout bounds the wait for the transport's verdict on a write.
const settleTimeout = 2 * time.Second

func (w *writeProgress) trace() *httptrace.ClientTrace {
	w.done = make(chan struct{})
	return &httptrace.ClientTrace{
		WroteHeaders: func() { w.state.CompareAndSwap(writeNotStarted, writeStarted) },
		WroteRequest: func(i httptrace.WroteRequestInfo) {
			if i.Err != nil {
				w.state.Store(writeFailed)
			} else {
				w.state.Store(writeDone)
			}
			w.once.Do(func() { close(w.done) })
		},
	}
}

func (w *writeProgress) mayHaveArrived() bool {
	if w.state.Load() == writeStarted {
		t := time.NewTimer(settleTimeout)
		defer t.Stop()
		select {
		case <-w.done:
		case <-t.C:
		}
	}
	s := w.state.Load()
	return s == writeStarted || s == writeDone
}
