package registry

// A create may carry a request id, so that a client can retry it safely:
// the first request stores the name it made under "<kind>/<request id>",
// and a repeat returns what that name holds instead of creating again.

// madeBy returns the name the create of kind ("member", "product") with
// requestID made, or "" when there was none (or no request id).
func madeBy(tx Tx, kind, requestID string) (string, error) {
	if requestID == "" {
		return "", nil
	}
	return tx.Request(kind + "/" + requestID)
}

// rememberRequest stores that requestID's create of kind made name.
func rememberRequest(tx Tx, kind, requestID, name string) error {
	if requestID == "" {
		return nil
	}
	return tx.PutRequest(kind+"/"+requestID, name)
}
