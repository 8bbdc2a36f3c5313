package ids_test

import (
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
