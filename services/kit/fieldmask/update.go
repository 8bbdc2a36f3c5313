package fieldmask

import (
	"slices"
	"time"
)

// Field is one updatable path of a resource T, with what an update needs
// of it: whether a patch sets it (what an empty mask takes) and how it is
// copied from the patch. Declaring both beside the path keeps the three
// from drifting apart, as three switches over the same paths did.
type Field[T any] struct {
	Path string
	// Set says whether patch sets the field. Resolve asks it only of
	// top-level paths; nil is never set.
	Set func(patch *T) bool
	// Copy copies the field from patch into dst.
	Copy func(dst, patch *T)
	// Same says whether a and b hold the same value of the field (Value
	// and Time have it; an immutable field needs it).
	Same func(a, b *T) bool
}

// Value is a field of type V whose zero value means "not set" in a patch.
func Value[T any, V comparable](path string, field func(*T) *V) Field[T] {
	return Field[T]{
		Path: path,
		Set:  func(patch *T) bool { var zero V; return *field(patch) != zero },
		Copy: func(dst, patch *T) { *field(dst) = *field(patch) },
		Same: func(a, b *T) bool { return *field(a) == *field(b) },
	}
}

// List is a list field, set in a patch when it is not empty.
func List[T, E any](path string, field func(*T) *[]E) Field[T] {
	return Field[T]{
		Path: path,
		Set:  func(patch *T) bool { return len(*field(patch)) > 0 },
		Copy: func(dst, patch *T) { *field(dst) = *field(patch) },
	}
}

// Time is a time field, set in a patch when it is not the zero time
// (time.Time.IsZero, whatever its location).
func Time[T any](path string, field func(*T) *time.Time) Field[T] {
	return Field[T]{
		Path: path,
		Set:  func(patch *T) bool { return !field(patch).IsZero() },
		Copy: func(dst, patch *T) { *field(dst) = *field(patch) },
		Same: func(a, b *T) bool { return field(a).Equal(*field(b)) },
	}
}

// Update is the update of one resource T: its updatable fields (in the
// order an empty mask or "*" applies them), and the paths Fields says a
// mask may also name.
type Update[T any] struct {
	Resource   string
	Fields     []Field[T]
	OutputOnly []string
	// Immutable are the fields fixed at creation (made with Value or Time,
	// which say when two values are the same). A mask may name one when
	// the patch holds the value stored: a client sends back the resource
	// it read, as AIP-203 has it. A different value is INVALID_ARGUMENT,
	// reason IMMUTABLE_FIELD, when Apply meets it.
	Immutable []Field[T]
}

// Mask is the Fields that Resolve checks a mask against.
func (u Update[T]) Mask() Fields {
	f := Fields{Resource: u.Resource, OutputOnly: u.OutputOnly}
	for _, fd := range u.Fields {
		f.Updatable = append(f.Updatable, fd.Path)
	}
	for _, fd := range u.Immutable {
		f.Immutable = append(f.Immutable, fd.Path)
	}
	return f
}

// Resolve turns mask into the paths to apply by Fields.Resolve's rule,
// an empty mask taking the fields patch sets. The immutable paths the mask
// names come last, for Apply to hold to the stored value.
func (u Update[T]) Resolve(mask []string, patch *T) ([]string, error) {
	var fixed []string
	rest := slices.DeleteFunc(slices.Clone(mask), func(p string) bool {
		if _, ok := find(u.Immutable, p); ok {
			if !slices.Contains(fixed, p) {
				fixed = append(fixed, p)
			}
			return true
		}
		return false
	})
	var paths []string
	if len(rest) > 0 || len(mask) == 0 {
		var err error
		if paths, err = u.Mask().Resolve(rest, func(path string) bool {
			fd, ok := find(u.Fields, path)
			return ok && fd.Set != nil && fd.Set(patch)
		}); err != nil {
			return nil, err
		}
	}
	return append(paths, fixed...), nil
}

// Apply copies the fields named by paths (as Resolve returned them) from
// patch into dst, in their order, or changes nothing and refuses when an
// immutable path's value in patch is not dst's.
func (u Update[T]) Apply(dst, patch *T, paths []string) error {
	for _, p := range paths {
		if fd, ok := find(u.Immutable, p); ok && !fd.Same(dst, patch) {
			return immutable(u.Resource, p)
		}
	}
	for _, p := range paths {
		if fd, ok := find(u.Fields, p); ok {
			fd.Copy(dst, patch)
		}
	}
	return nil
}

// Changed says which paths an update changed: those of paths whose value
// in after is not before's (a field without Same counts as changed when
// named). Rules that judge a value when an update sets it ask it, so that
// a resource sent back as read is judged on what it changes alone.
func (u Update[T]) Changed(before, after *T, paths []string) func(path string) bool {
	return func(path string) bool {
		if !slices.Contains(paths, path) {
			return false
		}
		fd, ok := find(u.Fields, path)
		return !ok || fd.Same == nil || !fd.Same(before, after)
	}
}

func find[T any](fields []Field[T], path string) (Field[T], bool) {
	for _, fd := range fields {
		if fd.Path == path {
			return fd, true
		}
	}
	return Field[T]{}, false
}
