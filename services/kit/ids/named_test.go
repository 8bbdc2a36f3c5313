package ids_test

import (
	"strings"
	"testing"

	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/ids"
)

func TestNamedReadsTheIdOrSaysWhatTheNameMustBe(t *testing.T) {
	parse := func(name string) string {
		if id, ok := strings.CutPrefix(name, "things/"); ok {
			return id
		}
		return ""
	}
	if id, err := ids.Named("name", "things/t1", "thing name things/{thing}", parse); err != nil || id != "t1" {
		t.Fatalf("Named = %q, %v; want t1", id, err)
	}
	_, err := ids.Named("parent", "stuff/t1", "thing name things/{thing}", parse)
	fe, ok := fault.As(err)
	if !ok || fe.Code != fault.InvalidArgument || len(fe.Violations) != 1 || fe.Violations[0].Field != "parent" ||
		fe.Violations[0].Description != `must be a thing name things/{thing}, got "stuff/t1"` {
		t.Fatalf("Named(stuff/t1) = %v; want a violation of parent that says what it must be", err)
	}
}
