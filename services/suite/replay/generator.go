// Package replay generates a deterministic synthetic year of a live-streaming
// alliance modelled on Chongqing's 2020 (184,000 sessions, about 10 billion
// yuan), and knows exactly what it generated, so that the suite's overview
// can be checked against it to the fen.
package replay

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Config of a synthetic year. Scale shrinks everything that grows with
// volume (sessions, sales), not the cast of members.
type Config struct {
	Seed        uint64
	Year        int
	Sessions    int     // ENDED sessions in the year at Scale 1
	GrossYuan   int64   // target gross of the year at Scale 1
	AvgOrderFen int64   // average order value
	RefundRate  float64 // share of orders refunded (fully or partly)
	CancelRate  float64 // extra sessions booked and then cancelled, as a share of Sessions
	Scale       float64
	Zone        *time.Location
}

// Default is the Chongqing 2020 headline.
func Default() Config {
	return Config{Seed: 2020, Year: 2020, Sessions: 184_000, GrossYuan: 10_000_000_000, AvgOrderFen: 40_000,
		RefundRate: 0.04, CancelRate: 0.02, Scale: 1, Zone: time.FixedZone("Asia/Shanghai", 8*3600)}
}

// The cast. Kinds are the proto enum names without prefix.
type Member struct {
	ID, Kind, DisplayName, District string
	Agency                          string // members/{agency} for hosts
	Official                        bool
	Studios                         []string
}

type Product struct {
	Merchant, ID, DisplayName, Category, Origin string
	PriceFen                                    int64
}

// Name is members/{m}/products/{p}.
func (p Product) Name() string { return "members/" + p.Merchant + "/products/" + p.ID }

type Session struct {
	Index      int
	ID         string
	Host       string // members/{h}
	Studio     string // members/{b}/studios/{s}
	Merchants  []string
	Products   []*Product
	Platform   string // TAOBAO_LIVE, DOUYIN, ...
	Start, End time.Time
	Cancelled  bool
}

type Sale struct {
	Session    string // sessions/{id}
	Product    string
	Refund     bool
	Quantity   int64
	AmountFen  int64
	Platform   string
	ExternalID string
	RefundOf   string
	EventTime  time.Time
}

// Generator holds the cast and the schedule of one synthetic year.
type Generator struct {
	cfg       Config
	Members   []Member
	Products  []*Product
	hosts     []string
	studios   []string
	merchants []string
	byMerch   map[string][]*Product
	days      []int // sessions per day of the year
	meanOrder float64
	// weight of each studio's sessions (its base's, over the mean), and
	// the merchants of each district and the district an official host
	// heads (see baseSites).
	studioWeight map[string]float64
	merchantsIn  map[string][]string
	officialOf   map[string]string
}

// baseSites are where the bases stand and how much their sessions sell,
// relative to each other. A real year concentrates in the main city,
// where the bases, agencies and merchants are (Jiulongpo, Yubei, Yuzhong,
// Nan'an, ...), with a long tail of county produce sold by the district
// heads; session sizes follow the base's weight, over the mean weight, so
// the year's headline stays where the config puts it.
var baseSites = []struct {
	district string
	weight   float64
}{
	{"jiulongpo", 3.0}, {"yubei", 2.6}, {"yuzhong", 2.3}, {"nanan", 2.0}, {"jiangbei", 1.5}, {"shapingba", 1.3},
	{"banan", 1.0}, {"wanzhou", 0.55}, {"fuling", 0.4}, {"yongchuan", 0.35}, {"xiushan", 0.25}, {"wulong", 0.2},
}

var districts = []string{"wanzhou", "qianjiang", "fuling", "yuzhong", "dadukou", "jiangbei", "shapingba", "jiulongpo",
	"nanan", "beibei", "qijiang", "dazu", "yubei", "banan", "changshou", "jiangjin", "hechuan", "yongchuan", "nanchuan",
	"bishan", "tongliang", "tongnan", "rongchang", "kaizhou", "liangping", "wulong", "chengkou", "fengdu", "dianjiang",
	"zhongxian", "yunyang", "fengjie", "wushan", "wuxi", "shizhu", "xiushan", "youyang", "pengshui"}

var categories = []struct{ slug, name string }{
	{"tea", "茶叶"}, {"agri-food", "农副产品"}, {"fruit", "水果"}, {"hotpot", "火锅底料"}, {"noodles", "小面"},
	{"spirits", "白酒"}, {"apparel", "服装"}, {"crafts", "手工艺品"}, {"snacks", "休闲零食"}, {"home", "家居用品"},
}

// Platforms and their weights (per mille).
var platforms = []struct {
	name   string
	weight int
}{{"TAOBAO_LIVE", 350}, {"DOUYIN", 350}, {"KUAISHOU", 150}, {"WECHAT_CHANNELS", 80}, {"JD", 40}, {"PINDUODUO", 30}}

const (
	bases          = 12
	studiosPerBase = 12
	agencies       = 20
	hostCount      = 500
	officialHosts  = 38 // one district head per district
	merchantCount  = 150
	productsPer    = 6
	// Eight two-hour-less slots a day, 07:00 to 22:05 local, 100 minutes
	// each with 15 minutes between: evenings are filled first.
	slotLength = 100 * time.Minute
	slotStep   = 115 * time.Minute
	slotsDay   = 8
)

// New builds the cast and the daily schedule of cfg.
func New(cfg Config) *Generator {
	g := &Generator{cfg: cfg, byMerch: map[string][]*Product{}, studioWeight: map[string]float64{},
		merchantsIn: map[string][]string{}, officialOf: map[string]string{}}
	meanWeight := 0.0
	for _, b := range baseSites[:bases] {
		meanWeight += b.weight / bases
	}
	r := rand.New(rand.NewPCG(cfg.Seed, 1))
	for a := range agencies {
		g.Members = append(g.Members, Member{ID: fmt.Sprintf("agency-%02d", a), Kind: "AGENCY",
			DisplayName: fmt.Sprintf("直播服务机构 %02d", a), District: districts[r.IntN(len(districts))]})
	}
	for b := range bases {
		m := Member{ID: fmt.Sprintf("base-%02d", b), Kind: "BASE", DisplayName: fmt.Sprintf("直播基地 %02d", b),
			District: baseSites[b].district}
		for s := range studiosPerBase {
			m.Studios = append(m.Studios, fmt.Sprintf("studio-%02d", s))
			name := fmt.Sprintf("members/%s/studios/studio-%02d", m.ID, s)
			g.studios = append(g.studios, name)
			g.studioWeight[name] = baseSites[b].weight / meanWeight
		}
		g.Members = append(g.Members, m)
	}
	for h := range hostCount {
		m := Member{ID: fmt.Sprintf("host-%03d", h), Kind: "HOST", DisplayName: fmt.Sprintf("主播 %03d", h),
			District: districts[r.IntN(len(districts))]}
		if h < officialHosts {
			m.Official, m.District, m.DisplayName = true, districts[h], "区县负责人 "+districts[h]
			g.officialOf["members/"+m.ID] = districts[h]
		} else if r.Float64() < 0.8 {
			m.Agency = fmt.Sprintf("members/agency-%02d", r.IntN(agencies))
		}
		g.Members = append(g.Members, m)
		g.hosts = append(g.hosts, "members/"+m.ID)
	}
	for d := range districts {
		g.Members = append(g.Members, Member{ID: "office-" + districts[d], Kind: "DISTRICT_OFFICE",
			DisplayName: "区县商务办公室 " + districts[d], District: districts[d]})
	}
	var priceSum int64
	for mi := range merchantCount {
		m := Member{ID: fmt.Sprintf("merchant-%03d", mi), Kind: "MERCHANT", DisplayName: fmt.Sprintf("商家 %03d", mi),
			District: districts[r.IntN(len(districts))]}
		g.Members = append(g.Members, m)
		g.merchants = append(g.merchants, "members/"+m.ID)
		g.merchantsIn[m.District] = append(g.merchantsIn[m.District], "members/"+m.ID)
		for p := range productsPer {
			c := categories[r.IntN(len(categories))]
			prod := &Product{Merchant: m.ID, ID: fmt.Sprintf("p%d", p), DisplayName: fmt.Sprintf("%s %d", c.name, p),
				Category: c.slug, Origin: m.District, PriceFen: 2_000 + r.Int64N(38_000)}
			priceSum += prod.PriceFen
			g.Products = append(g.Products, prod)
			g.byMerch[m.ID] = append(g.byMerch[m.ID], prod)
		}
	}
	// quantity is 1..3 (mean 2): scale so the mean order is AvgOrderFen.
	g.meanOrder = float64(priceSum) / float64(len(g.Products)) * 2
	g.days = g.schedule()
	return g
}

func (g *Generator) yearStart() time.Time { return time.Date(g.cfg.Year, 1, 1, 0, 0, 0, 0, g.cfg.Zone) }

// Period is [Jan 1, Jan 1 next year) in the alliance zone.
func (g *Generator) Period() (time.Time, time.Time) {
	return g.yearStart(), time.Date(g.cfg.Year+1, 1, 1, 0, 0, 0, 0, g.cfg.Zone)
}

// schedule spreads the year's sessions over its days: weekends heavier,
// the 618 festival (June 1-18) and Double 11 (November 1-11) much heavier.
func (g *Generator) schedule() []int {
	start, end := g.Period()
	var weights []float64
	total := 0.0
	for d := start; d.Before(end); d = d.AddDate(0, 0, 1) {
		w := 1.0
		if d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
			w = 1.2
		}
		if d.Month() == time.June && d.Day() <= 18 {
			w = 1.8
		}
		if d.Month() == time.November && d.Day() <= 11 {
			w = 2.5
		}
		weights = append(weights, w)
		total += w
	}
	target := int(float64(g.cfg.Sessions)*g.cfg.Scale + 0.5)
	days := make([]int, len(weights))
	given := 0
	for i, w := range weights {
		days[i] = int(float64(target) * w / total)
		given += days[i]
	}
	for i := 0; given < target; i = (i + 1) % len(days) { // hand out the rounding remainder
		days[i]++
		given++
	}
	capacity := len(g.studios) * slotsDay
	for i := range days {
		if days[i] > capacity {
			panic(fmt.Sprintf("day %d needs %d sessions, more than the %d slots", i, days[i], capacity))
		}
	}
	return days
}

// Sessions calls fn for every session of the year in start order: the
// ENDED ones and, interleaved, the cancelled ones.
func (g *Generator) Sessions(fn func(*Session) error) error {
	start, _ := g.Period()
	index := 0
	for day, n := range g.days {
		date := start.AddDate(0, 0, day)
		cancelled := int(float64(n)*g.cfg.CancelRate + 0.5)
		total := n + cancelled
		if total > len(g.studios)*slotsDay {
			total = len(g.studios) * slotsDay
			cancelled = total - n
		}
		r := rand.New(rand.NewPCG(g.cfg.Seed, uint64(day)+1000))
		for k := range total {
			// Fill the evening first: slot 7 (20:25) down to slot 0 (07:00).
			slot := slotsDay - 1 - k/len(g.studios)
			within := k % len(g.studios)
			s := &Session{
				Index:  index,
				ID:     fmt.Sprintf("y%d-d%03d-%04d", g.cfg.Year, day, k),
				Studio: g.studios[(within*7+day)%len(g.studios)],
				Host:   g.hosts[(within+slot*len(g.studios)+day*37)%len(g.hosts)],
				Start:  date.Add(7*time.Hour + time.Duration(slot)*slotStep),
				// Spread exactly `cancelled` cancellations over the day.
				Cancelled: (k+1)*cancelled/total != k*cancelled/total,
			}
			s.End = s.Start.Add(slotLength)
			s.Platform = pick(r)
			m1 := g.merchants[r.IntN(len(g.merchants))]
			// A district head sells its own county's produce.
			if local := g.merchantsIn[g.officialOf[s.Host]]; len(local) > 0 {
				m1 = local[r.IntN(len(local))]
			}
			s.Merchants = []string{m1}
			prods := g.byMerch[m1[len("members/"):]]
			s.Products = []*Product{prods[r.IntN(len(prods))], prods[r.IntN(len(prods))]}
			if r.IntN(2) == 0 {
				m2 := g.merchants[r.IntN(len(g.merchants))]
				if m2 != m1 {
					s.Merchants = append(s.Merchants, m2)
					p2 := g.byMerch[m2[len("members/"):]]
					s.Products = append(s.Products, p2[r.IntN(len(p2))])
				}
			}
			s.Products = dedupe(s.Products)
			index++
			if err := fn(s); err != nil {
				return err
			}
		}
	}
	return nil
}

// orders is the number of orders of session s, the first draw of its
// sales' random stream r: the mean varied 0.25x to 1.75x, times the
// weight of the session's base.
func (g *Generator) orders(s *Session, r *rand.Rand) int {
	meanOrders := float64(g.cfg.GrossYuan*100) / float64(g.cfg.Sessions) / float64(g.cfg.AvgOrderFen)
	return int(meanOrders*g.studioWeight[s.Studio]*(0.25+1.5*r.Float64()) + 0.5)
}

func dedupe(ps []*Product) []*Product {
	seen := map[*Product]bool{}
	out := ps[:0]
	for _, p := range ps {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

func pick(r *rand.Rand) string {
	n := r.IntN(1000)
	for _, p := range platforms {
		if n < p.weight {
			return p.name
		}
		n -= p.weight
	}
	return platforms[0].name
}

// Sales calls fn for every order and refund line of s, in event order per
// order (each refund follows its order). Cancelled sessions sell nothing.
func (g *Generator) Sales(s *Session, fn func(*Sale) error) error {
	if s.Cancelled {
		return nil
	}
	r := rand.New(rand.NewPCG(g.cfg.Seed, uint64(s.Index)+1<<32))
	n := g.orders(s, r)
	scale := float64(g.cfg.AvgOrderFen) / g.meanOrder
	sessionName := "sessions/" + s.ID
	length := s.End.Sub(s.Start)
	for i := range n {
		p := s.Products[r.IntN(len(s.Products))]
		qty := int64(1 + r.IntN(3))
		amount := int64(float64(p.PriceFen)*scale+0.5) * qty
		at := s.Start.Add(time.Duration(r.Int64N(int64(length))))
		if r.IntN(20) == 0 { // late orders: after the stream, within 24 hours
			at = s.End.Add(time.Duration(r.Int64N(int64(23 * time.Hour))))
		}
		at = at.Truncate(time.Second)
		order := &Sale{Session: sessionName, Product: p.Name(), Quantity: qty, AmountFen: amount, Platform: s.Platform,
			ExternalID: fmt.Sprintf("%s-o%d", s.ID, i), EventTime: at}
		if err := fn(order); err != nil {
			return err
		}
		if r.Float64() < g.cfg.RefundRate {
			refund := &Sale{Session: sessionName, Product: p.Name(), Refund: true, Quantity: qty, AmountFen: amount,
				Platform: s.Platform, ExternalID: fmt.Sprintf("%s-r%d", s.ID, i), RefundOf: order.ExternalID,
				EventTime: at.Add(time.Hour + time.Duration(r.Int64N(int64(20*24*time.Hour)))).Truncate(time.Second)}
			if qty > 1 && r.IntN(2) == 0 { // a partial refund: one unit
				refund.Quantity, refund.AmountFen = 1, amount/qty
			}
			if err := fn(refund); err != nil {
				return err
			}
		}
	}
	return nil
}

// Totals are what the generator sent, counted for the year's period the
// way the overview counts them.
type Totals struct {
	SessionsHeld      int64 // ENDED sessions whose end falls in the year
	SessionsCancelled int64
	SessionsWithSales int64
	Orders            int64
	Refunds           int64 // refund lines
	Lines             int64 // every sale line sent, in or out of the year
	GrossFen          int64
	RefundsFen        int64
	// Traffic: the final snapshots of the sessions that started in the year.
	TrafficSessions int64
	Views, Viewers  int64
}

// NetFen is gross minus refunds.
func (t Totals) NetFen() int64 { return t.GrossFen - t.RefundsFen }

// Add counts one session and its lines into t.
func (t *Totals) Add(g *Generator, s *Session, lines []*Sale) {
	from, to := g.Period()
	in := func(at time.Time) bool { return !at.Before(from) && at.Before(to) }
	if s.Cancelled {
		t.SessionsCancelled++
		return
	}
	if in(s.End) {
		t.SessionsHeld++
	}
	any := false
	for _, l := range lines {
		t.Lines++
		if !in(l.EventTime) {
			continue
		}
		if l.Refund {
			t.Refunds++
			t.RefundsFen += l.AmountFen
		} else {
			any = true // a session counts by its orders, as the reports' sessions do
			t.Orders++
			t.GrossFen += l.AmountFen
		}
	}
	if any {
		t.SessionsWithSales++
	}
}
