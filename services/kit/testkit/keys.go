package testkit

import (
	"strings"
	"testing"

	"github.com/cqlive/alliance/services/kit/apikey"
)

// BadKeys are keys that every RPC of a service with authentication on
// must refuse, by what each is: none, garbage, the key id of member (a
// member's real key) with a wrong secret, a key id no one has, and an
// admin key no one holds. A test adds the keys only it can make (a
// revoked one) before it hands them to RefusesBadKeys.
func BadKeys(t testing.TB, member string) map[string]string {
	t.Helper()
	id, _, ok := apikey.ParseMemberKey(member)
	if !ok {
		t.Fatalf("BadKeys: %q is not a member key", member)
	}
	wrong := strings.Repeat("a", 52)
	return map[string]string{
		"no key":         "",
		"a garbage key":  "not-a-key",
		"a wrong secret": apikey.MemberKey(id, wrong),
		"an unknown key": apikey.MemberKey("zzzzzzzzzzzzzzzz", wrong),
		"a wrong admin":  apikey.NewAdminKey(),
	}
}
