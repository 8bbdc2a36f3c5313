package report

import (
	"cmp"
	"slices"
)

// layer holds the records of one way of summing cells: by session
// attribution alone (dim 0), or also by the key of one product dimension.
// A report that groups or filters by no product dimension, or by exactly
// one, reads the layer of that dimension, whose records each count a
// session at most once per row: their prev lets the walk count distinct
// sessions while streaming. Only reports over two product dimensions read
// the cells themselves.
type layer struct {
	dim Dimension // 0, DimOriginDistrict, DimMerchant or DimCategory
	// byDay and byMonth hold the days and months with records in ascending
	// order; dayOf and monthOf find them when a sale arrives.
	byDay, byMonth []*dayData
	dayOf, monthOf map[Day]*dayData
	days, months   map[layerKey]int32 // index in dayOf[day].days, monthOf[first day].days
	// chains are the day records of each (session, key) in day order, to
	// keep rec.prev right whatever order the sales arrive in.
	chains map[chainKey][]dayRef
}

// layerKey names a record: pkey is the key id of the layer's dimension,
// -1 in layer 0.
type layerKey struct {
	session, sattr, pkey int32
	day                  Day
}

type chainKey struct{ session, pkey int32 }

func newLayer(d Dimension) layer {
	return layer{dim: d, dayOf: map[Day]*dayData{}, monthOf: map[Day]*dayData{},
		days: map[layerKey]int32{}, months: map[layerKey]int32{}, chains: map[chainKey][]dayRef{}}
}

// add counts a cell's sums into the day and month records of the layer.
func (l *layer) add(sid, sattr, pkey int32, day Day, add *sums) {
	month := monthStart(day)
	md := bucket(&l.byMonth, l.monthOf, month)
	mk := layerKey{sid, sattr, pkey, month}
	if i, ok := l.months[mk]; ok {
		md.days[i].add(add)
	} else {
		l.months[mk] = int32(len(md.days))
		md.days = append(md.days, rec{session: sid, sattr: sattr, pattr: pkey, sums: *add})
	}
	dd := bucket(&l.byDay, l.dayOf, day)
	dk := layerKey{sid, sattr, pkey, day}
	if i, ok := l.days[dk]; ok {
		dd.days[i].add(add)
	} else {
		l.days[dk] = int32(len(dd.days))
		dd.days = append(dd.days, rec{session: sid, sattr: sattr, pattr: pkey, sums: *add})
		l.link(chainKey{sid, pkey}, dayRef{day, sattr, int32(len(dd.days) - 1)})
	}
}

// link files a new day record in its chain and sets the prev of it, of the
// record that follows it, and of their months when they open them. A
// second session attribution in a chain marks all of it mixed, for good.
func (l *layer) link(ck chainKey, ref dayRef) {
	refs := l.chains[ck]
	at := func(r dayRef) *rec { return &l.dayOf[r.day].days[r.idx] }
	monthRec := func(r dayRef) *rec {
		m := monthStart(r.day)
		return &l.monthOf[m].days[l.months[layerKey{ck.session, r.sattr, ck.pkey, m}]]
	}
	setPrev := func(refs []dayRef, i int, prev Day) {
		at(refs[i]).prev = prev
		if i == 0 || monthStart(refs[i-1].day) != monthStart(refs[i].day) {
			monthRec(refs[i]).prev = prev
		}
	}
	isMixed := len(refs) > 0 && at(refs[0]).prev == mixed
	if !isMixed && len(refs) > 0 && refs[0].sattr != ref.sattr {
		isMixed = true
		for _, r := range refs {
			at(r).prev = mixed
			monthRec(r).prev = mixed
		}
	}
	i, _ := slices.BinarySearchFunc(refs, ref.day, func(r dayRef, d Day) int { return cmp.Compare(r.day, d) })
	refs = slices.Insert(refs, i, ref)
	l.chains[ck] = refs
	switch {
	case isMixed:
		at(ref).prev = mixed
		monthRec(ref).prev = mixed
	case i > 0:
		setPrev(refs, i, refs[i-1].day)
	default:
		setPrev(refs, i, noPrev)
	}
	if !isMixed && i+1 < len(refs) {
		setPrev(refs, i+1, ref.day)
	}
}

func monthStart(d Day) Day {
	y, m, _ := d.Date()
	return civil(y, m, 1)
}

// bucket is the data of day (or month) d in list and index, made and put
// in order on first use.
func bucket(list *[]*dayData, index map[Day]*dayData, d Day) *dayData {
	if dd, ok := index[d]; ok {
		return dd
	}
	dd := &dayData{day: d}
	index[d] = dd
	i, _ := slices.BinarySearchFunc(*list, d, func(x *dayData, d Day) int { return cmp.Compare(x.day, d) })
	*list = slices.Insert(*list, i, dd)
	return dd
}
