package ids

import (
	"fmt"

	"github.com/cqlive/alliance/services/kit/fault"
)

// MaxBatch bounds the names of a BatchGet request, in every service of
// the suite (a client splits a longer list into batches of it).
const MaxBatch = 1000

// Named is the id that parse reads in name, the value of a request's
// field; a name that parse does not read (it returns "") is a violation of
// field that says what the name must be (what: "member name
// members/{member}").
func Named(field, name, what string, parse func(string) string) (string, error) {
	id := parse(name)
	if id == "" {
		return "", fault.InvalidField(field, "must be a %s, got %q", what, name)
	}
	return id, nil
}

// Batch reads the ids of a BatchGet request's names: at most MaxBatch
// of them, each read by parse, which names the field it refuses as
// names[i].
func Batch(names []string, parse func(field, name string) (string, error)) ([]string, error) {
	if len(names) > MaxBatch {
		return nil, fault.InvalidField("names", "at most %d names, got %d", MaxBatch, len(names))
	}
	out := make([]string, 0, len(names))
	for i, n := range names {
		id, err := parse(fmt.Sprintf("names[%d]", i), n)
		if err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, nil
}

// Get is the other half of a BatchGet: the record of each id, read by
// get, in the order asked. The first id that get refuses (NOT_FOUND
// naming it) fails the whole batch, which then returns nothing.
func Get[T any](idList []string, get func(id string) (T, error)) ([]T, error) {
	out := make([]T, 0, len(idList))
	for _, id := range idList {
		x, err := get(id)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}
