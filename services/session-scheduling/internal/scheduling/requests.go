package scheduling

// requests are the request ids (AIP-155) of one kind of resource: the
// first call with an id makes the resource and records the id with its
// name; a repeat is answered what the first made, read again.
type requests[T any] struct {
	kind  string // the key's prefix: "session/"
	named func(w *work, name string) (*T, error)
}

var (
	sessionRequests = requests[Session]{kind: "session/",
		named: func(w *work, name string) (*Session, error) { return w.session(ParseSessionName(name)) }}
	seriesRequests = requests[SeriesResult]{kind: "series/",
		named: func(w *work, name string) (*SeriesResult, error) { return seriesWithSessions(w, ParseSeriesName(name)) }}
)

// made is what requestID made, in w; nil when the id is empty or new.
func (r requests[T]) made(w *work, requestID string) (*T, error) {
	if requestID == "" {
		return nil, nil
	}
	name, err := w.tx.Request(r.kind + requestID)
	if err != nil || name == "" {
		return nil, err
	}
	return r.named(w, name)
}

// first is made read on its own, to answer a repeat before any work (the
// write transaction asks made again: a twin may commit in between).
func (r requests[T]) first(svc *Service, requestID string) (*T, error) {
	if requestID == "" {
		return nil, nil
	}
	return readValue(svc, func(w *work) (*T, error) { return r.made(w, requestID) })
}

// record notes that requestID made name, in w; an empty id is not noted.
func (r requests[T]) record(w *work, requestID, name string) error {
	if requestID == "" {
		return nil
	}
	return w.tx.PutRequest(r.kind+requestID, name)
}
