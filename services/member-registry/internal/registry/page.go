package registry

// page collects one page of a scan in cursor order: up to limit entries
// that keep takes (nil: every entry). Seeing one more that it takes ends
// the scan with next, the cursor of the page's last entry, where the next
// page starts; next stays "" on the last page.
type page[T any] struct {
	limit  int
	keep   func(T) bool
	cursor func(T) string
	out    []T
	next   string
}

// add is the scan's callback: false stops the scan.
func (p *page[T]) add(v T) bool {
	if p.keep != nil && !p.keep(v) {
		return true
	}
	if len(p.out) == p.limit {
		p.next = p.cursor(p.out[len(p.out)-1])
		return false
	}
	p.out = append(p.out, v)
	return true
}
