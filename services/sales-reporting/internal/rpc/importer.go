package rpc

import (
	"context"
	"errors"
	"io"
	"sync/atomic"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/sales-reporting/internal/ingest"
	"google.golang.org/protobuf/proto"
)

// Import streaming: lines go to the group commit in chunks, and the stream
// keeps being read while earlier chunks commit. The errors an answer lists
// are bounded by grpcx.ErrorBudget; `rejected` still counts every line.
// ImportSales and ImportSessionMetrics are the same pipeline (runImport)
// over different lines.
const (
	importChunk = 2000
	// importInFlight chunks of a stream wait to be collected at most:
	// half as many lines again as the service's largest commit
	// (ingest.Config.MaxCommit, 40,000), so that one stream fills a commit
	// while the one before it is on disk, and a commit's two fsyncs are
	// shared by tens of thousands of lines. Some 1.3 KB a line in flight:
	// 80 MB a stream at most.
	importInFlight = 30
	// importBudget chunks of all streams together are in flight at most
	// (some 160 MB): the commits are one at a time whatever the number of
	// streams, so more streams gain nothing by holding more, and each
	// stream's own bound alone would let ten streams hold 800 MB.
	importBudget = 2 * importInFlight
)

// importOutcome is what became of one submitted line: stored, an
// identical repeat, or refused with err.
type importOutcome struct {
	duplicate bool
	err       error
}

// importPipe is one kind of import: how its stream is read, how a line
// is read from a request, and how a chunk of lines is submitted.
type importPipe[Req, Line any] struct {
	chunk int
	recv  func() (Req, error)
	// lines is how many lines a request carries (nil: one each); the
	// index of a line is its position among all the stream's lines.
	lines func(Req) int
	// read returns line i of a request, or refuses a line the adapter
	// cannot read; the line is refused at its index and never submitted.
	read func(req Req, i int) (Line, error)
	// submit queues a chunk to its group commit, with the import's
	// patience for a slow dependency; wait returns the lines' outcomes in
	// order, once they are durable (or refused). See submitWith.
	submit func(ctx context.Context, lines []Line, p *ingest.Patience) (wait func() []importOutcome, err error)
	// unreadable sees each line read refused; nil ignores them.
	unreadable func(error)
}

// submitWith is an importPipe's submit over one of ingestion's group
// commits: submit queues the lines, and each sees every outcome its ticket
// returns.
func submitWith[Line, O any, T interface{ Wait() []O }](
	submit func(context.Context, []Line, *ingest.Patience) (T, error), each func(O) importOutcome,
) func(context.Context, []Line, *ingest.Patience) (func() []importOutcome, error) {
	return func(ctx context.Context, lines []Line, p *ingest.Patience) (func() []importOutcome, error) {
		t, err := submit(ctx, lines, p)
		if err != nil {
			return nil, err
		}
		return func() []importOutcome {
			outs := t.Wait()
			res := make([]importOutcome, len(outs))
			for i, o := range outs {
				res[i] = each(o)
			}
			return res
		}, nil
	}
}

// importAnswer is what an import answers, whatever its lines.
type importAnswer struct {
	accepted, duplicates, rejected int64
	errors                         []*salesv1.ImportError
	truncated                      bool
}

// importChunkAt is one chunk of an import on its way: the lines it
// submitted, and those refused before (unread: a line the adapter could
// not read, refused with its own error at its index), in stream order
// from base.
type importChunkAt[Line any] struct {
	wait   func() []importOutcome // nil when every line was refused before
	lines  []Line                 // what was submitted, free again once wait returns
	unread []error                // one per line of the chunk; nil for a submitted line
	base   int64
}

// runImport reads the stream in chunks and returns once every accepted
// line is durable. Three stages run at once, each in stream order: this
// goroutine reads the stream, a second submits the chunks (validation and
// attribution, which may wait for the other services), and a third
// collects their outcomes (waiting for their commits); at most
// importInFlight submitted chunks wait to be collected. A stream that
// fails to read ends the import with its error; a chunk that cannot be
// submitted ends it with that fault. Either way the chunks submitted
// before are collected first, so that nothing of the import runs on
// after its answer.
func runImport[Req, Line any](ctx context.Context, s *Server, p importPipe[Req, Line]) (importAnswer, error) {
	if s.OnImport != nil {
		defer s.OnImport()()
	}
	ctx = withCaller(ctx)
	patience := s.svc.NewPatience(ctx)
	var a importAnswer
	var budget grpcx.ErrorBudget
	reject := func(index int64, err error) {
		a.rejected++
		if len(a.errors) >= grpcx.MaxAnswerErrors {
			// Full by count: no need to build the entry.
			a.truncated = true
			return
		}
		e := s.importError(ctx, index, err)
		if budget.Admit(proto.Size(e)) {
			a.errors = append(a.errors, e)
		}
		a.truncated = a.truncated || budget.Truncated
	}
	// free holds chunks' line buffers whose tickets are done: a buffer
	// of 2,000 sales is 0.7 MB, and making one per chunk was a tenth of
	// what an import allocates. The service keeps a chunk's lines only
	// until its outcomes are in.
	free := make(chan []Line, importInFlight+2)
	collect := func(c importChunkAt[Line]) {
		var outcomes []importOutcome
		if c.wait != nil {
			outcomes = c.wait()
			s.imports.give()
			select {
			case free <- c.lines[:0]:
			default:
			}
		}
		for i, unread := range c.unread {
			if unread != nil {
				if p.unreadable != nil {
					p.unreadable(unread)
				}
				reject(c.base+int64(i), unread)
				continue
			}
			o := outcomes[0]
			outcomes = outcomes[1:]
			switch {
			case o.err != nil:
				reject(c.base+int64(i), o.err)
			case o.duplicate:
				a.duplicates++
			default:
				a.accepted++
			}
		}
	}
	// submitErr is set by the submitter before it closes stop, and read
	// here after stop or collected is closed.
	var submitErr error
	chunks := make(chan importChunkIn[Line], 1)
	pending := make(chan importChunkAt[Line], importInFlight)
	stop, collected := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(pending)
		for c := range chunks {
			if submitErr != nil {
				continue // the import is over: let the reader finish
			}
			at := importChunkAt[Line]{unread: c.unread, base: c.base}
			if len(c.lines) > 0 {
				err := s.imports.take(ctx)
				if err == nil {
					if at.wait, err = p.submit(ctx, c.lines, patience); err != nil {
						s.imports.give()
					}
				}
				if err != nil {
					submitErr = err
					close(stop)
					continue
				}
				at.lines = c.lines
			}
			pending <- at
		}
	}()
	go func() {
		defer close(collected)
		for c := range pending {
			collect(c)
		}
	}()
	finish := func() { close(chunks); <-collected }
	var index int64
	buf := make([]Line, 0, p.chunk)
	unread := make([]error, 0, p.chunk)
	// flush hands the chunk read so far to the submitter; false once a
	// chunk could not be submitted.
	flush := func() bool {
		if len(unread) == 0 {
			return true
		}
		c := importChunkIn[Line]{lines: buf, unread: unread, base: index - int64(len(unread))}
		select {
		case buf = <-free:
		default:
			buf = make([]Line, 0, p.chunk)
		}
		unread = make([]error, 0, p.chunk)
		select {
		case chunks <- c:
			return true
		case <-stop:
			return false
		}
	}
	for {
		req, err := p.recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			finish()
			return a, err
		}
		n := 1
		if p.lines != nil {
			n = p.lines(req)
		}
		for i := range n {
			line, err := p.read(req, i)
			if err == nil {
				buf = append(buf, line)
			}
			unread = append(unread, err)
			index++
			if len(unread) == p.chunk && !flush() {
				finish()
				return a, fail(ctx, submitErr)
			}
		}
	}
	ok := flush()
	finish()
	if !ok || submitErr != nil {
		return a, fail(ctx, submitErr)
	}
	return a, nil
}

// importChunkIn is a chunk read, on its way to be submitted.
type importChunkIn[Line any] struct {
	lines  []Line
	unread []error
	base   int64
}

// salesInMessage is how many sale lines an ImportSales message carries:
// sale, when set, then each of sales; a message with neither is one line,
// refused as a missing sale.
func salesInMessage(req *salesv1.ImportSalesRequest) int {
	n := len(req.GetSales())
	if req.GetSale() != nil || n == 0 {
		n++
	}
	return n
}

// saleOfMessage is line i of an ImportSales message (salesInMessage); nil for
// the missing sale of a message with neither.
func saleOfMessage(req *salesv1.ImportSalesRequest, i int) *salesv1.Sale {
	if req.GetSale() != nil || len(req.GetSales()) == 0 {
		if i == 0 {
			return req.GetSale()
		}
		i--
	}
	return req.GetSales()[i]
}

// chunkBudget bounds the chunks that all imports of a server hold between
// their submission and their outcomes: a slot of slots each.
type chunkBudget struct {
	slots chan struct{}
	// peak is the most chunks held at once, for the tests.
	peak atomic.Int64
}

func newChunkBudget(n int) *chunkBudget { return &chunkBudget{slots: make(chan struct{}, n)} }

// take waits for a slot, or for the end of the call.
func (b *chunkBudget) take(ctx context.Context) error {
	select {
	case b.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	h := int64(len(b.slots))
	for p := b.peak.Load(); h > p && !b.peak.CompareAndSwap(p, h); p = b.peak.Load() {
	}
	return nil
}

func (b *chunkBudget) give() { <-b.slots }
