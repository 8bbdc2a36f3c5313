package rpc

import (
	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/protoconv"
	"github.com/cqlive/alliance/services/sales-reporting/internal/ingest"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
)

// Platforms are their enum names without prefix in the domain (DOUYIN).
// Every line of an import and every answer of RecordSale and GetSale
// converts one, so the names and numbers come from tables made once: the
// look-up in the descriptor was a tenth of reading an import's line.
var platformEnumNames = protoconv.NamesOf[typev1.Platform]()

func platformEnum(name string) typev1.Platform { return platformEnumNames.Number(name) }

// A sale's kind converts by number: report.Kind numbers its values as
// alliance.sales.v1.SaleKind does (TestKindsConvertByNumber), and
// ingestion refuses any other.
func kindFromProto(k salesv1.SaleKind) report.Kind { return report.Kind(k) }

func kindToProto(k report.Kind) salesv1.SaleKind { return salesv1.SaleKind(k) }

// saleFromProto reads a sale; its error is a timestamp that is not one
// (see protoconv.Time), the one thing ingestion cannot be handed.
func saleFromProto(p *salesv1.Sale) (ingest.Sale, error) {
	var v fault.Invalid
	currency, amount := protoconv.FromMoney(p.GetAmount())
	s := ingest.Sale{
		Session: p.GetSession(), Product: p.GetProduct(), Kind: kindFromProto(p.GetKind()),
		Quantity: p.GetQuantity(), Amount: amount, Currency: currency,
		Platform: platformEnumNames.Name(p.GetPlatform()), ExternalID: p.GetExternalId(), RefundOf: p.GetRefundOf(),
		EventTime: protoconv.Time(&v, "sale.event_time", p.GetEventTime()),
	}
	return s, v.Err()
}

func saleToProto(s *ingest.Sale) *salesv1.Sale {
	a := s.Attr
	return &salesv1.Sale{
		Name: s.Name(), Session: s.Session, Product: s.Product, Kind: kindToProto(s.Kind),
		Quantity: s.Quantity, Amount: protoconv.Money(s.Currency, s.Amount),
		Platform: platformEnum(s.Platform), ExternalId: s.ExternalID, RefundOf: s.RefundOf,
		EventTime: protoconv.Timestamp(s.EventTime), CreateTime: protoconv.Timestamp(s.CreateTime),
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
