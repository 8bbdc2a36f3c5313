package fieldmask_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/fieldmask"
)

var member = fieldmask.Fields{
	Resource:   "member",
	Updatable:  []string{"display_name", "start_time", "contact", "contact.phone"},
	OutputOnly: []string{"etag", "update_time"},
	Immutable:  []string{"kind"},
}

func TestResolve(t *testing.T) {
	set := func(p string) bool { return p == "display_name" || p == "contact.phone" }
	for _, c := range []struct {
		name   string
		mask   []string
		want   []string
		reason fault.Reason // zero: no error
		says   string       // a part of the violation's description
	}{
		{name: "an empty mask takes the top-level fields the patch sets", want: []string{"display_name"}},
		{name: "a star replaces every top-level updatable field", mask: []string{"*"}, want: []string{"display_name", "start_time", "contact"}},
		{name: "a sub-field path is applied on its own", mask: []string{"contact.phone"}, want: []string{"contact.phone"}},
		{name: "a sub-field of a field updated only whole names that field, once", mask: []string{"start_time.seconds", "start_time.nanos", "display_name"},
			want: []string{"start_time", "display_name"}},
		{name: "an unlisted sub-field of a field with listed ones is refused", mask: []string{"contact.fax"}, reason: fault.ReasonInvalidArgument},
		{name: "a sub-field of an output-only field is refused", mask: []string{"etag.x"}, reason: fault.ReasonInvalidArgument},
		{name: "the paths are applied in the mask's order", mask: []string{"start_time", "display_name"}, want: []string{"start_time", "display_name"}},
		{name: "an output-only path is ignored", mask: []string{"etag", "display_name"}, want: []string{"display_name"}},
		{name: "an immutable path is refused as fixed at creation", mask: []string{"display_name", "kind"}, reason: fault.ReasonImmutableField},
		{name: "an unknown path is refused, listing the updatable ones", mask: []string{"nope"}, reason: fault.ReasonInvalidArgument,
			says: "the updatable fields are display_name, start_time, contact, contact.phone"},
		{name: "a lowerCamelCase path is told its snake_case name", mask: []string{"startTime"}, reason: fault.ReasonInvalidArgument,
			says: `here "start_time"`},
		{name: "a star among other paths is not a full replacement", mask: []string{"*", "display_name"}, reason: fault.ReasonInvalidArgument},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := member.Resolve(c.mask, set)
			if c.reason == (fault.Reason{}) {
				if err != nil || !slices.Equal(got, c.want) {
					t.Fatalf("paths %v, %v; want %v", got, err, c.want)
				}
				return
			}
			fe, ok := fault.As(err)
			if !ok || fe.Reason != c.reason || fe.Code != fault.InvalidArgument {
				t.Fatalf("%v, want INVALID_ARGUMENT %s", err, c.reason)
			}
			if c.says != "" && !strings.Contains(fe.Error(), c.says) {
				t.Fatalf("%v does not say %q", err, c.says)
			}
		})
	}
}
