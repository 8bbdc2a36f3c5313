package ids_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/ids"
)

func parseThing(field, name string) (string, error) {
	id, ok := strings.CutPrefix(name, "things/")
	if !ok {
		return "", fault.InvalidField(field, "must be a thing name, got %q", name)
	}
	return id, nil
}

func TestBatchReadsEveryNameOrNamesTheOneItRefuses(t *testing.T) {
	many := make([]string, ids.MaxBatch+1)
	for i := range many {
		many[i] = "things/t"
	}
	for _, c := range []struct {
		name  string
		names []string
		want  []string
		field string // the violation's field; "" when none
	}{
		{name: "the ids come in the order of the names", names: []string{"things/b", "things/a"}, want: []string{"b", "a"}},
		{name: "no names is no ids", want: []string{}},
		{name: "MaxBatch names are taken", names: many[1:], want: slices.Repeat([]string{"t"}, ids.MaxBatch)},
		{name: "one name more is refused as a whole", names: many, field: "names"},
		{name: "a name that does not parse is named by its index", names: []string{"things/a", "stuff/b"}, field: "names[1]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := ids.Batch(c.names, parseThing)
			if c.field == "" {
				if err != nil || !slices.Equal(got, c.want) {
					t.Fatalf("Batch = %v, %v; want %v", got, err, c.want)
				}
				return
			}
			fe, ok := fault.As(err)
			if !ok || fe.Code != fault.InvalidArgument || len(fe.Violations) != 1 || fe.Violations[0].Field != c.field {
				t.Fatalf("Batch error %v, want INVALID_ARGUMENT of %s", err, c.field)
			}
		})
	}
}

func TestGetReadsInTheOrderAskedOrFailsAsAWhole(t *testing.T) {
	stored := map[string]int{"a": 1, "b": 2}
	errMissing := errors.New("no such thing")
	get := func(id string) (int, error) {
		n, ok := stored[id]
		if !ok {
			return 0, errMissing
		}
		return n, nil
	}
	for _, c := range []struct {
		name string
		ids  []string
		want []int
		err  error
	}{
		{name: "the records come in the order asked", ids: []string{"b", "a", "b"}, want: []int{2, 1, 2}},
		{name: "no ids is no records", want: []int{}},
		{name: "one unknown id fails the whole batch", ids: []string{"a", "x", "b"}, err: errMissing},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := ids.Get(c.ids, get)
			if err != c.err || !slices.Equal(got, c.want) || (c.want != nil && got == nil) {
				t.Fatalf("Get(%v) = %v, %v; want %v, %v", c.ids, got, err, c.want, c.err)
			}
		})
	}
}
