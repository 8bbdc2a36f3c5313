package rpc

import (
	"testing"

	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"github.com/cqlive/alliance/services/kit/protoconv"
)

// Answering a sale numbers its platform as protoconv.EnumNumber does, from
// a table made once; a name not in it still gets EnumNumber's answer.
func TestPlatformEnumsAreEnumNumbers(t *testing.T) {
	d := typev1.Platform(0).Descriptor()
	values := d.Values()
	names := []string{"", "douyin", "PLATFORM_DOUYIN", "NOT_A_PLATFORM"}
	for i := range values.Len() {
		names = append(names, protoconv.EnumName(typev1.Platform(values.Get(i).Number())))
	}
	for _, name := range names {
		if got, want := platformEnum(name), typev1.Platform(protoconv.EnumNumber(d, name)); got != want {
			t.Errorf("platform %q numbered %v, want %v", name, got, want)
		}
	}
}
