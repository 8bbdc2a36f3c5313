package report

import (
	"fmt"
	"reflect"
	"testing"
	"time"
)

// A pair whose key pairs outgrow pairGridLimit is no longer kept: its
// reports walk, and answer as before; the other pairs are kept still.
func TestAPairPastItsLimitWalksAndAnswersAlike(t *testing.T) {
	loc := shanghai(t)
	kept, walked := New(loc), New(loc)
	walked.noTotals = true
	at := time.Date(2021, 5, 10, 20, 0, 0, 0, loc)
	sell := func(hosts, merchants int, from int) {
		var batch []Delta
		for h := from; h < hosts; h++ {
			m := h % merchants
			batch = append(batch, Delta{Session: fmt.Sprintf("sessions/s%d", h), Product: fmt.Sprintf("members/m%d/products/p", m), Day: DayOf(at, loc), EventTime: at,
				Kind: Order, Quantity: 1, Amount: 100 + int64(h),
				Attr: Attribution{Host: fmt.Sprintf("members/h%d", h), Base: "members/b", District: "dazu", Platform: "DOUYIN",
					Merchant: fmt.Sprintf("members/m%d", m), Category: []string{"tea", "fruit"}[h%2], OriginDistrict: "wanzhou"}})
		}
		kept.Apply(batch)
		walked.Apply(batch)
	}
	hostMerchant := Query{Start: civil(2021, 1, 1), End: civil(2022, 1, 1), Granularity: Yearly, GroupBy: []Dimension{DimHost, DimMerchant}}
	districtCategory := Query{Start: civil(2021, 1, 1), End: civil(2022, 1, 1), Granularity: Monthly, GroupBy: []Dimension{DimCategory, DimDistrict}}
	check := func(when string, wantPairs bool) {
		for _, q := range []Query{hostMerchant, districtCategory} {
			got, err := kept.Query(q)
			want, _ := walked.Query(q)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("%s, %v: the pair totals answer\n%+v\nthe walk answers\n%+v", when, q.GroupBy, got, want)
			}
		}
		if got := usesTotals(kept, hostMerchant); got != wantPairs {
			t.Fatalf("%s: HOST × MERCHANT from the pair totals %v, want %v", when, got, wantPairs)
		}
		if !usesTotals(kept, districtCategory) {
			t.Fatalf("%s: CATEGORY × DISTRICT walks", when)
		}
	}
	sell(128, 128, 0) // 128 × 128 = 16,384 key pairs: the limit
	check("at the limit", true)
	sell(130, 128, 128) // 130 hosts: past it
	check("past the limit", false)
	sell(200, 128, 130)
	check("further past it", false)
}
