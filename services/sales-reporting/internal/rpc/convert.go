package rpc

import (
	"strings"
	"time"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"github.com/cqlive/alliance/services/sales-reporting/internal/ingest"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func platformName(p typev1.Platform) string {
	if p == typev1.Platform_PLATFORM_UNSPECIFIED {
		return ""
	}
	return strings.TrimPrefix(p.String(), "PLATFORM_")
}

func platformEnum(name string) typev1.Platform {
	return typev1.Platform(typev1.Platform_value["PLATFORM_"+name])
}

func kindFromProto(k salesv1.SaleKind) report.Kind {
	switch k {
	case salesv1.SaleKind_SALE_KIND_ORDER:
		return report.Order
	case salesv1.SaleKind_SALE_KIND_REFUND:
		return report.Refund
	}
	return 0
}

func kindToProto(k report.Kind) salesv1.SaleKind {
	switch k {
	case report.Order:
		return salesv1.SaleKind_SALE_KIND_ORDER
	case report.Refund:
		return salesv1.SaleKind_SALE_KIND_REFUND
	}
	return salesv1.SaleKind_SALE_KIND_UNSPECIFIED
}

// timeOf is the instant t names, even outside the Timestamp range, so
// that ingestion refuses it by its bounds rather than as missing.
func timeOf(t *timestamppb.Timestamp) time.Time {
	if t == nil {
		return time.Time{}
	}
	return time.Unix(t.GetSeconds(), int64(t.GetNanos())).UTC()
}

func stamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func saleFromProto(p *salesv1.Sale) ingest.Sale {
	return ingest.Sale{
		Session: p.GetSession(), Product: p.GetProduct(), Kind: kindFromProto(p.GetKind()),
		Quantity: p.GetQuantity(), Amount: p.GetAmount().GetMinorUnits(), Currency: p.GetAmount().GetCurrencyCode(),
		Platform: platformName(p.GetPlatform()), ExternalID: p.GetExternalId(), RefundOf: p.GetRefundOf(),
		EventTime: timeOf(p.GetEventTime()),
	}
}

func saleToProto(s *ingest.Sale) *salesv1.Sale {
	a := s.Attr
	return &salesv1.Sale{
		Name: s.Name(), Session: s.Session, Product: s.Product, Kind: kindToProto(s.Kind),
		Quantity: s.Quantity, Amount: &typev1.Money{CurrencyCode: s.Currency, MinorUnits: s.Amount},
		Platform: platformEnum(s.Platform), ExternalId: s.ExternalID, RefundOf: s.RefundOf,
		EventTime: stamp(s.EventTime), CreateTime: stamp(s.CreateTime),
		Attribution: &salesv1.Attribution{
			Host: a.Host, Agency: a.Agency, Base: a.Base, Studio: a.Studio, District: a.District,
			Merchant: a.Merchant, Category: a.Category, OriginDistrict: a.OriginDistrict, Official: a.Official,
		},
	}
}

var granularities = map[salesv1.Granularity]report.Granularity{
	salesv1.Granularity_GRANULARITY_DAY:     report.Daily,
	salesv1.Granularity_GRANULARITY_WEEK:    report.Weekly,
	salesv1.Granularity_GRANULARITY_MONTH:   report.Monthly,
	salesv1.Granularity_GRANULARITY_QUARTER: report.Quarterly,
	salesv1.Granularity_GRANULARITY_YEAR:    report.Yearly,
	salesv1.Granularity_GRANULARITY_TOTAL:   report.Total,
}

var dimensions = map[salesv1.Dimension]report.Dimension{
	salesv1.Dimension_DIMENSION_DISTRICT:        report.DimDistrict,
	salesv1.Dimension_DIMENSION_ORIGIN_DISTRICT: report.DimOriginDistrict,
	salesv1.Dimension_DIMENSION_HOST:            report.DimHost,
	salesv1.Dimension_DIMENSION_AGENCY:          report.DimAgency,
	salesv1.Dimension_DIMENSION_BASE:            report.DimBase,
	salesv1.Dimension_DIMENSION_MERCHANT:        report.DimMerchant,
	salesv1.Dimension_DIMENSION_CATEGORY:        report.DimCategory,
	salesv1.Dimension_DIMENSION_PLATFORM:        report.DimPlatform,
}

var metricsOf = map[salesv1.Metric]report.Metric{
	salesv1.Metric_METRIC_NET:    report.MetricNet,
	salesv1.Metric_METRIC_GROSS:  report.MetricGross,
	salesv1.Metric_METRIC_ORDERS: report.MetricOrders,
	salesv1.Metric_METRIC_UNITS:  report.MetricUnits,
}

// platformNames are the Chinese names of the platforms, for report keys.
var platformNames = map[string]string{
	"TAOBAO_LIVE": "淘宝直播", "DOUYIN": "抖音", "KUAISHOU": "快手", "WECHAT_CHANNELS": "微信视频号",
	"JD": "京东", "PINDUODUO": "拼多多", "OTHER": "其他",
}
