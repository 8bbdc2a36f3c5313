package page

import (
	"testing"

	"github.com/cqlive/alliance/services/kit/fault"
)

func TestSize(t *testing.T) {
	cases := []struct {
		name string
		in   int32
		want int
		code fault.Code
	}{
		{"zero means the default of 50", 0, 50, 0},
		{"a size within bounds is kept", 7, 7, 0},
		{"the largest size is 1000", 1000, 1000, 0},
		{"anything larger is capped at 1000", 5000, 1000, 0},
		{"negative is invalid", -1, 0, fault.InvalidArgument},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Size(c.in)
			if c.code != 0 {
				if fault.CodeOf(err) != c.code {
					t.Fatalf("Size(%d) error = %v, want code %v", c.in, err, c.code)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("Size(%d) = %d, %v; want %d", c.in, got, err, c.want)
			}
		})
	}
}

func TestTokens(t *testing.T) {
	c := NewCodec([]byte("0123456789abcdef0123456789abcdef"))
	tok := c.Encode("members|kind=1", []byte("cursor-42"))

	t.Run("a token resumes its own query", func(t *testing.T) {
		got, err := c.Decode(tok, "members|kind=1")
		if err != nil || string(got) != "cursor-42" {
			t.Fatalf("Decode = %q, %v", got, err)
		}
	})
	t.Run("an empty token is the first page", func(t *testing.T) {
		got, err := c.Decode("", "members|kind=1")
		if err != nil || got != nil {
			t.Fatalf("Decode(\"\") = %q, %v", got, err)
		}
	})
	bad := map[string]struct{ token, query string }{
		"a token of another query is rejected": {tok, "members|kind=2"},
		"a flipped character is rejected":      {flip(tok), "members|kind=1"},
		"garbage is rejected":                  {"!!not-base64!!", "members|kind=1"},
		"a truncated token is rejected":        {tok[:5], "members|kind=1"},
		"another key's token is rejected": {NewCodec([]byte("ffffffffffffffffffffffffffffffff")).
			Encode("members|kind=1", []byte("cursor-42")), "members|kind=1"},
	}
	for name, b := range bad {
		t.Run(name, func(t *testing.T) {
			_, err := c.Decode(b.token, b.query)
			fe, ok := fault.As(err)
			if !ok || fe.Code != fault.InvalidArgument || len(fe.Violations) != 1 || fe.Violations[0].Field != "page_token" {
				t.Fatalf("Decode = %v, want INVALID_ARGUMENT on page_token", err)
			}
		})
	}
}

func flip(s string) string {
	b := []byte(s)
	if b[2] == 'A' {
		b[2] = 'B'
	} else {
		b[2] = 'A'
	}
	return string(b)
}
