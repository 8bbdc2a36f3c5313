package testkit_test

import (
	"strings"
	"testing"

	"github.com/cqlive/alliance/services/kit/apikey"
	"github.com/cqlive/alliance/services/kit/testkit"
)

func TestBadKeysAreForgedFromTheMembersKey(t *testing.T) {
	id, key, secret := apikey.NewMemberKey()
	bad := testkit.BadKeys(t, key)
	if len(bad) != 5 {
		t.Fatalf("%d keys, want 5: %v", len(bad), bad)
	}
	if k := bad["no key"]; k != "" {
		t.Errorf("no key is %q", k)
	}
	if _, _, ok := apikey.ParseMemberKey(bad["a garbage key"]); ok || bad["a garbage key"] == "" {
		t.Errorf("the garbage key %q is empty or parses as a member key", bad["a garbage key"])
	}
	if gotID, s, ok := apikey.ParseMemberKey(bad["a wrong secret"]); !ok || gotID != id || s == secret {
		t.Errorf("the wrong secret %q: id %q (want %q), secret %q (the real one is %q)", bad["a wrong secret"], gotID, id, s, secret)
	}
	if gotID, _, ok := apikey.ParseMemberKey(bad["an unknown key"]); !ok || gotID == id {
		t.Errorf("the unknown key %q: id %q, parses %v", bad["an unknown key"], gotID, ok)
	}
	if k := bad["a wrong admin"]; !strings.HasPrefix(k, "adm_") {
		t.Errorf("the wrong admin key %q", k)
	}
	for what, k := range bad {
		if k == key {
			t.Errorf("%s is the member's real key", what)
		}
	}
}
