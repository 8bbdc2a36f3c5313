package report

import "testing"

func BenchmarkXStream(b *testing.B) {
	st := loadedStore(b, 184000)
	var sink int64
	timed(b, func() {
		var s int64
		for _, dd := range st.e.byDay {
			for i := range dd.days {
				s += dd.days[i].gross
			}
		}
		sink += s
	})
	b.Log(sink)
}
