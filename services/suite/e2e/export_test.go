package e2e

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// TestExportThroughTheGateway downloads a report as CSV and as XLSX from
// GET /v1/reports:export through the real gateway, reads both back with
// real readers (encoding/csv, excelize), and finds the figures
// POST /v1/reports:query gives, traffic and GPM included.
func TestExportThroughTheGateway(t *testing.T) {
	s := startSuite(t)
	u, admin := s.gatewayURL(), s.admin()
	must := func(method, path, body string) httpReply {
		t.Helper()
		r := send(t, method, u+path, body, admin)
		if r.code != 200 {
			t.Fatalf("%s %s: %d %s", method, path, r.code, r.raw)
		}
		return r
	}
	must("POST", "/v1/members?memberId=x-base", `{"kind":"MEMBER_KIND_BASE","displayName":"九龙坡直播基地","district":"jiulongpo","studios":[{"studioId":"hall-1","displayName":"一号厅"}]}`)
	must("POST", "/v1/members?memberId=x-host", `{"kind":"MEMBER_KIND_HOST","displayName":"主播","district":"yuzhong"}`)
	must("POST", "/v1/members?memberId=x-farm", `{"kind":"MEMBER_KIND_MERCHANT","displayName":"茶场","district":"banan"}`)
	must("POST", "/v1/members/x-farm/products?productId=tea", `{"displayName":"银针","category":"tea","originDistrict":"banan","listPrice":{"currencyCode":"CNY","minorUnits":"12800"}}`)
	now := time.Now().UTC()
	must("POST", "/v1/sessions?sessionId=x-live", `{"title":"导出","host":"members/x-host","studio":"members/x-base/studios/hall-1",`+
		`"merchants":["members/x-farm"],"products":["members/x-farm/products/tea"],"platform":"PLATFORM_DOUYIN",`+
		`"startTime":"`+now.Add(10*time.Minute).Format(time.RFC3339)+`","endTime":"`+now.Add(70*time.Minute).Format(time.RFC3339)+`"}`)
	must("POST", "/v1/sessions/x-live:start", "{}")
	at := time.Now().UTC().Format(time.RFC3339Nano)
	for i, fen := range []int{25600, 12850, 999} {
		must("POST", "/v1/sales", fmt.Sprintf(`{"session":"sessions/x-live","product":"members/x-farm/products/tea","kind":"SALE_KIND_ORDER",`+
			`"quantity":"1","amount":{"currencyCode":"CNY","minorUnits":"%d"},"platform":"PLATFORM_DOUYIN","externalId":"x-%d","eventTime":"%s"}`, fen, i, at))
	}
	m := must("POST", "/v1/sessions/x-live/metrics", `{"platform":"PLATFORM_DOUYIN","asOf":"`+at+`","views":"300","viewers":"120",`+
		`"peakConcurrentViewers":"40","averageViewDuration":"75s","productImpressions":"200","productClicks":"30"}`)
	if str(m.body, "views") != "300" {
		t.Fatalf("metrics: %s", m.raw)
	}
	if got := must("GET", "/v1/sessions/x-live/metrics", ""); str(got.body, "viewers") != "120" {
		t.Fatalf("GET metrics: %s", got.raw)
	}

	today := now.In(shanghai)
	from, to := today.AddDate(0, 0, -1).Format(time.DateOnly), today.AddDate(0, 0, 2).Format(time.DateOnly)
	q := must("POST", "/v1/reports:query", `{"startDate":"`+from+`","endDate":"`+to+`","granularity":"GRANULARITY_TOTAL","groupBy":["DIMENSION_DISTRICT"]}`)
	row := get(q.body, "rows", 0, "metrics")
	if str(row, "gpm", "minorUnits") == "" || get(row, "conversionRate") == nil {
		t.Fatalf("the report has no GPM or conversion: %s", q.raw)
	}
	params := url.Values{"query.startDate": {from}, "query.endDate": {to}, "query.granularity": {"GRANULARITY_TOTAL"},
		"query.groupBy": {"DIMENSION_DISTRICT"}}
	for _, format := range []string{"CSV", "XLSX"} {
		t.Run(format, func(t *testing.T) {
			params.Set("format", format)
			req, _ := http.NewRequest("GET", u+"/v1/reports:export?"+params.Encode(), nil)
			for k, v := range admin {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("%d %v: %.300s", resp.StatusCode, err, body)
			}
			_, p, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition"))
			if err != nil || p["filename"] != "sales-report-"+from+"-"+to+"."+map[string]string{"CSV": "csv", "XLSX": "xlsx"}[format] {
				t.Fatalf("Content-Disposition %q", resp.Header.Get("Content-Disposition"))
			}
			var table [][]string
			if format == "CSV" {
				if resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" || !bytes.HasPrefix(body, []byte("\ufeff")) {
					t.Fatalf("type %q, start %q", resp.Header.Get("Content-Type"), body[:min(len(body), 8)])
				}
				r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\ufeff"))))
				r.FieldsPerRecord = -1
				if table, err = r.ReadAll(); err != nil {
					t.Fatal(err)
				}
			} else {
				f, err := excelize.OpenReader(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				if table, err = f.GetRows("report"); err != nil {
					t.Fatal(err)
				}
			}
			col := map[string]int{}
			for i, h := range table[0] {
				col[h] = i
			}
			line := table[1]
			for _, c := range []struct{ name, want string }{
				{"district", "jiulongpo"}, {"district_name", "九龙坡区"}, {"orders", str(row, "orders")}, {"sessions", str(row, "sessions")},
				{"gross_fen", str(row, "gross", "minorUnits")}, {"net_fen", str(row, "net", "minorUnits")}, {"net_yuan", "394.49"},
				{"views", str(row, "views")}, {"gpm_fen", str(row, "gpm", "minorUnits")},
			} {
				if got := line[col[c.name]]; got != c.want {
					t.Errorf("%s = %q, the report says %q", c.name, got, c.want)
				}
			}
			conv, _ := strconv.ParseFloat(line[col["conversion_rate"]], 64)
			if want, _ := get(row, "conversionRate").(float64); conv != want {
				t.Errorf("conversion_rate %v, the report says %v", conv, want)
			}
			if last := table[len(table)-1]; last[0] != "data_through" || last[1] == "" {
				t.Errorf("last line %v", last)
			}
		})
	}
	t.Run("a bad format is a 400 naming the field", func(t *testing.T) {
		r := send(t, "GET", u+"/v1/reports:export?query.startDate="+from+"&query.endDate="+to+"&format=PDF", "", admin)
		if r.code != 400 {
			t.Fatalf("%d %s", r.code, r.raw)
		}
	})
}
