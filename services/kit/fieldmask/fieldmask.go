// Package fieldmask resolves the update_mask of an update (AIP-134) into
// the paths to apply, by one rule for every resource of the suite.
package fieldmask

import (
	"slices"
	"strings"

	"github.com/cqlive/alliance/services/kit/fault"
)

// Fields says what an update mask of one resource may name. Paths are
// proto field names (display_name), as a FieldMask holds them.
type Fields struct {
	// Resource names the resource in messages, e.g. "member".
	Resource string
	// Updatable are the paths an update may set: top-level fields, and
	// sub-field paths (contact.email) where a part may change alone.
	Updatable []string
	// OutputOnly paths are ignored in a mask (AIP-203): a client may send
	// back the resource it read, mask and all.
	OutputOnly []string
	// Immutable paths are fixed at creation: naming one is INVALID_ARGUMENT,
	// reason IMMUTABLE_FIELD.
	Immutable []string
}

// Resolve turns mask into the paths to apply:
//   - an empty mask means every top-level updatable field the patch sets
//     (isSet says which);
//   - "*" alone means every top-level updatable field: a full replacement;
//   - otherwise each path must be updatable (kept), output-only (ignored)
//     or immutable (refused), or a sub-field of an updatable field that
//     is updated only whole (list_price.minor_units, when no list_price.x
//     is updatable), which names that field once: the patch's value
//     replaces it whole. That is the mask grpc-gateway makes of a PATCH
//     body without updateMask ({"listPrice":{...}} gives list_price's
//     leaves). Anything else is a field violation of update_mask, and a
//     lowerCamelCase spelling of a field is told its snake_case name.
func (f Fields) Resolve(mask []string, isSet func(path string) bool) ([]string, error) {
	if len(mask) == 0 || len(mask) == 1 && mask[0] == "*" {
		var paths []string
		for _, p := range f.Updatable {
			if !strings.Contains(p, ".") && (len(mask) == 1 || isSet(p)) {
				paths = append(paths, p)
			}
		}
		return paths, nil
	}
	var v fault.Invalid
	var paths []string
	for _, p := range mask {
		switch {
		case slices.Contains(f.Updatable, p):
			paths = append(paths, p)
		case slices.Contains(f.OutputOnly, p):
		case slices.Contains(f.Immutable, p):
			return nil, immutable(f.Resource, p)
		case f.wholeOf(p) != "":
			if w := f.wholeOf(p); !slices.Contains(paths, w) {
				paths = append(paths, w)
			}
		case p != snakeCase(p) && f.known(snakeCase(p)):
			// protojson spells field names in lowerCamelCase (startTime); a
			// FieldMask's paths are the proto names (start_time).
			v.Add("update_mask", "unknown field %q: update_mask paths are snake_case field names, here %q", p, snakeCase(p))
		default:
			v.Add("update_mask", "unknown or not updatable field %q; the updatable fields are %s", p, strings.Join(f.Updatable, ", "))
		}
	}
	return paths, v.Err()
}

// immutable is the refusal of a change to path p of resource, which is
// fixed at creation.
func immutable(resource, p string) error {
	return fault.New(fault.InvalidArgument, fault.ReasonImmutableField,
		"%s.%s is fixed at creation and cannot be updated", resource, p).With("field", p)
}

// wholeOf is the top-level updatable field that sub-field path p lies in,
// when that field is updated only whole (no updatable path below it);
// otherwise "".
func (f Fields) wholeOf(p string) string {
	top, _, sub := strings.Cut(p, ".")
	if !sub || !slices.Contains(f.Updatable, top) {
		return ""
	}
	for _, u := range f.Updatable {
		if strings.HasPrefix(u, top+".") {
			return ""
		}
	}
	return top
}

func (f Fields) known(p string) bool {
	return slices.Contains(f.Updatable, p) || slices.Contains(f.OutputOnly, p) || slices.Contains(f.Immutable, p)
}

// snakeCase turns a lowerCamelCase path into snake_case (ASCII only, as
// field names are); dots stay.
func snakeCase(s string) string {
	var b strings.Builder
	for _, r := range s {
		if 'A' <= r && r <= 'Z' {
			b.WriteByte('_')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
