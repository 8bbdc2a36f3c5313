package registry

// Tx is one store transaction. The rules run inside it, so that what they
// check and what they write commit together.
type Tx interface {
	// Member returns the member, or nil when there is none.
	Member(id string) (*Member, error)
	PutMember(m *Member) error
	// Members calls fn for members in id order, starting after the id
	// `after` ("" for the first); fn returns false to stop.
	Members(after string, fn func(*Member) bool) error

	// Product returns the product, or nil when there is none.
	Product(merchantID, productID string) (*Product, error)
	PutProduct(p *Product) error
	// Products calls fn for products in name order, of one merchant or of
	// all (merchantID ""), after the cursor key (see ProductKey).
	Products(merchantID, after string, fn func(*Product) bool) error

	// APIKey returns the key, or nil when there is none.
	APIKey(id string) (*APIKey, error)
	PutAPIKey(k *APIKey) error
	// APIKeys calls fn for a member's keys (memberID "": the staff keys) in
	// id order after the id `after`.
	APIKeys(memberID, after string, fn func(*APIKey) bool) error

	// Request returns the name a create request id produced, if any.
	Request(key string) (string, error)
	PutRequest(key, name string) error
}

// Repo opens transactions.
type Repo interface {
	View(fn func(Tx) error) error
	Update(fn func(Tx) error) error
}

// ProductKey is the cursor of a product in name order.
func ProductKey(merchantID, productID string) string { return merchantID + "/" + productID }

// inTx runs fn in one transaction of run (a Repo's View or Update) and
// returns what fn read or made, with the transaction's error.
func inTx[T any](run func(func(Tx) error) error, fn func(Tx) (T, error)) (T, error) {
	var out T
	err := run(func(tx Tx) error {
		var err error
		out, err = fn(tx)
		return err
	})
	return out, err
}
