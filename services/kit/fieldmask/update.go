package fieldmask

import "time"

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
}

// Value is a field of type V whose zero value means "not set" in a patch.
func Value[T any, V comparable](path string, field func(*T) *V) Field[T] {
	return Field[T]{
		Path: path,
		Set:  func(patch *T) bool { var zero V; return *field(patch) != zero },
		Copy: func(dst, patch *T) { *field(dst) = *field(patch) },
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
	}
}

// Update is the update of one resource T: its updatable fields (in the
// order an empty mask or "*" applies them), and the paths Fields says a
// mask may also name.
type Update[T any] struct {
	Resource   string
	Fields     []Field[T]
	OutputOnly []string
	Immutable  []string
}

// Mask is the Fields that Resolve checks a mask against.
func (u Update[T]) Mask() Fields {
	f := Fields{Resource: u.Resource, OutputOnly: u.OutputOnly, Immutable: u.Immutable}
	for _, fd := range u.Fields {
		f.Updatable = append(f.Updatable, fd.Path)
	}
	return f
}

// Resolve turns mask into the paths to apply by Fields.Resolve's rule,
// an empty mask taking the fields patch sets.
func (u Update[T]) Resolve(mask []string, patch *T) ([]string, error) {
	return u.Mask().Resolve(mask, func(path string) bool {
		fd, ok := u.field(path)
		return ok && fd.Set != nil && fd.Set(patch)
	})
}

// Apply copies the fields named by paths (as Resolve returned them) from
// patch into dst, in their order.
func (u Update[T]) Apply(dst, patch *T, paths []string) {
	for _, p := range paths {
		if fd, ok := u.field(p); ok {
			fd.Copy(dst, patch)
		}
	}
}

func (u Update[T]) field(path string) (Field[T], bool) {
	for _, fd := range u.Fields {
		if fd.Path == path {
			return fd, true
		}
	}
	return Field[T]{}, false
}
