package main

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strings"
	"time"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// History: past days of ENDED sessions, through the admin imports
// (ImportSessions, then ImportSales), since the scheduler books nothing in
// the past. Every line is a function of its date and slot, never of "days
// ago", so a rerun, even on a later day, sends identical lines for the days
// it shares with an earlier run, and the services count them as duplicates.

// slots of a day, in the alliance's time zone: two hours each, far enough
// apart for the studios' changeover buffer.
var slots = [][2]int{{10, 0}, {14, 0}, {19, 0}, {21, 30}}

var studios = []string{
	studio("jiulongpo-base", "studio-1"), studio("jiulongpo-base", "studio-2"), studio("jiulongpo-base", "studio-3"),
	studio("dazu-base", "studio-1"), studio("dazu-base", "studio-2"),
}

func seed(s string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(s))
	return rand.New(rand.NewPCG(h.Sum64(), 2020))
}

type histSession struct {
	id   string
	plan sessionPlan
	s    *sessionv1.Session
}

// historyPlan lays out the sessions of the days [from, to): in each slot
// each studio gets a different host, so nothing is double-booked.
func (d *demo) historyPlan(from, to time.Time) []histSession {
	var hosts []string
	byHost := map[string][]sessionPlan{}
	for _, p := range plans {
		if _, ok := byHost[p.host]; !ok {
			hosts = append(hosts, p.host)
		}
		byHost[p.host] = append(byHost[p.host], p)
	}
	var out []histSession
	for day := from; day.Before(to); day = day.AddDate(0, 0, 1) {
		date := day.Format("20060102")
		rng := seed(date)
		busy := 0.45 + 0.35*rng.Float64() // share of studio slots in use that day
		if wd := day.Weekday(); wd == time.Friday || wd == time.Saturday {
			busy += 0.2
		}
		for si, sl := range slots {
			for i, st := range studios {
				if rng.Float64() > busy {
					continue
				}
				host := hosts[(i+si+day.YearDay())%len(hosts)]
				options := byHost[host]
				p := options[rng.IntN(len(options))]
				p.studio = st
				p.orders = 5 + rng.IntN(20)
				start := time.Date(day.Year(), day.Month(), day.Day(), sl[0], sl[1], 0, 0, d.zone)
				end := start.Add(2 * time.Hour)
				actualStart := start.Add(time.Duration(rng.IntN(300)) * time.Second)
				actualEnd := end.Add(-time.Duration(rng.IntN(900)) * time.Second)
				merchants, prods := productNames(p.products)
				id := fmt.Sprintf("hist-%s-%d%d", date, si+1, i+1)
				out = append(out, histSession{id: id, plan: p, s: &sessionv1.Session{
					Title: p.title, Host: "members/" + host, Studio: st, Merchants: merchants, Products: prods,
					Platform: p.platform, PlatformRoomId: "room-" + id,
					StartTime: timestamppb.New(start), EndTime: timestamppb.New(end),
					State:           sessionv1.SessionState_SESSION_STATE_ENDED,
					ActualStartTime: timestamppb.New(actualStart), ActualEndTime: timestamppb.New(actualEnd),
				}})
			}
		}
	}
	return out
}

// historySales returns the orders and refunds of an imported session.
func (d *demo) historySales(h histSession, latest time.Time) []*salesv1.Sale {
	rng := seed(h.id)
	name := "sessions/" + h.id
	start, end := h.s.GetActualStartTime().AsTime(), h.s.GetActualEndTime().AsTime()
	span := end.Sub(start)
	var out []*salesv1.Sale
	for k := range h.plan.orders {
		product := h.s.Products[rng.IntN(len(h.s.Products))]
		qty := int64(1 + rng.IntN(4))
		amount := d.prices[product] * qty
		if rng.IntN(3) == 0 {
			amount = amount * 9 / 10
		}
		at := start.Add(time.Duration(rng.Int64N(int64(span))))
		ext := fmt.Sprintf("%s-o%02d", h.id, k+1)
		out = append(out, &salesv1.Sale{Session: name, Product: product, Kind: salesv1.SaleKind_SALE_KIND_ORDER,
			Quantity: qty, Amount: &typev1.Money{CurrencyCode: "CNY", MinorUnits: amount}, Platform: h.s.Platform,
			ExternalId: ext, EventTime: timestamppb.New(at)})
		if rng.IntN(7) != 0 {
			continue
		}
		// One unit back, a few hours to two days later (never after now).
		back := at.Add(time.Duration(2+rng.IntN(46)) * time.Hour)
		if back.After(latest) {
			continue
		}
		out = append(out, &salesv1.Sale{Session: name, Product: product, Kind: salesv1.SaleKind_SALE_KIND_REFUND,
			Quantity: 1, Amount: &typev1.Money{CurrencyCode: "CNY", MinorUnits: amount / qty}, Platform: h.s.Platform,
			ExternalId: fmt.Sprintf("%s-r%02d", h.id, k+1), RefundOf: ext, EventTime: timestamppb.New(back)})
	}
	return out
}

// loadHistory imports `days` days of history before today. A scheduler
// without ImportSessions, or one that refuses the caller, is reported and
// skipped: the rest of the demo does not depend on history.
func (d *demo) loadHistory(ctx context.Context, days int) error {
	if days <= 0 {
		return nil
	}
	local := d.now.In(d.zone)
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, d.zone)
	from := today.AddDate(0, 0, -days)
	fmt.Printf("History %s .. %s (imported as ENDED sessions)\n", from.Format(time.DateOnly), today.AddDate(0, 0, -1).Format(time.DateOnly))
	hist := d.historyPlan(from, today)

	stream, err := d.sessions.ImportSessions(ctx)
	if err != nil {
		return err
	}
	for _, h := range hist {
		if err := stream.Send(&sessionv1.ImportSessionsRequest{SessionId: h.id, Session: h.s}); err != nil {
			break // the answer below says why
		}
	}
	sresp, err := stream.CloseAndRecv()
	switch status.Code(err) {
	case codes.OK:
	case codes.Unimplemented:
		fmt.Printf("  skipped: session-scheduling does not import history here (%s)\n", status.Convert(err).Message())
		return nil
	default:
		return fmt.Errorf("import sessions: %w", err)
	}
	fmt.Printf("  sessions: %d sent, %d accepted, %d already there, %d rejected\n",
		len(hist), sresp.GetAccepted(), sresp.GetDuplicates(), sresp.GetRejected())
	for _, e := range sresp.GetErrors() {
		fmt.Printf("    line %d: %s %s: %s\n", e.GetIndex(), e.GetCode(), e.GetReason(), e.GetMessage())
	}

	sales, err := d.sales.ImportSales(ctx)
	if err != nil {
		return err
	}
	sent := 0
	for _, h := range hist {
		for _, s := range d.historySales(h, time.Now().Add(-time.Minute)) {
			if err := sales.Send(&salesv1.ImportSalesRequest{Sale: s}); err != nil {
				break
			}
			sent++
		}
	}
	resp, err := sales.CloseAndRecv()
	if err != nil {
		return fmt.Errorf("import sales: %w", err)
	}
	fmt.Printf("  sales:    %d sent, %d accepted, %d already there, %d rejected\n",
		sent, resp.GetAccepted(), resp.GetDuplicates(), resp.GetRejected())
	for i, e := range resp.GetErrors() {
		if i == 5 {
			fmt.Printf("    … %d more\n", len(resp.GetErrors())-5)
			break
		}
		fmt.Printf("    line %d: %s %s: %s\n", e.GetIndex(), e.GetCode(), e.GetReason(), strings.TrimSpace(e.GetMessage()))
	}
	return d.importTraffic(ctx, hist)
}
