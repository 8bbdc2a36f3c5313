package scheduling

import (
	"context"
	"fmt"
	"github.com/cqlive/alliance/services/kit/members"
)

// Member is what the scheduler needs to know of a registry member.
type Member struct {
	Name    string // members/{id}
	Kind    members.Kind
	State   members.State
	Studios []string // studio ids, BASE only
	Agency  string   // members/{agency} that manages a HOST, or ""
}

// Product is what the scheduler needs to know of a registry product.
type Product struct {
	Name     string // members/{merchant}/products/{product}
	Merchant string // members/{merchant}
	Active   bool
}

// Directory is the member registry as the scheduler sees it: the
// domain's view of members and products. internal/upstream implements it
// over gRPC, with a deadline; when the registry cannot be reached it
// returns an UNAVAILABLE fault, never an answer.
type Directory interface {
	// BatchGet returns the named members in the order asked. All or
	// nothing: if one does not exist, the error is a *MissingMember.
	BatchGet(ctx context.Context, names []string) ([]Member, error)
	// Product returns the product, or nil when it does not exist.
	Product(ctx context.Context, name string) (*Product, error)
}

// MissingMember is the answer of Directory.BatchGet when a name is unknown.
type MissingMember struct{ Name string }

func (e *MissingMember) Error() string { return fmt.Sprintf("member %q not found", e.Name) }
