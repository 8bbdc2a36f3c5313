package backup

// SetAfterCopy runs f between Restore's copies and its renames.
func SetAfterCopy(f func()) (restore func()) {
	old := afterCopy
	afterCopy = f
	return func() { afterCopy = old }
}
