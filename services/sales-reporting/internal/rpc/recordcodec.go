package rpc

import (
	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// RecordSale's request is decoded by hand too (wireCodec.Unmarshal), with
// the import decoder's reading of a sale: the proto codec walked the
// message by reflection and made the sale, its money and its time one
// object each, some tenth of the CPU of a RecordSale call. Here the three
// are one object, and what is left is a string for each text field.
//
// As for imports, a request the decoder does not read as the proto codec
// would (a field other than sale, sale given twice, which the proto codec
// merges, anything inside the sale decodeImport would refuse) goes to the
// proto codec instead.

// recordParts are the messages of one decoded RecordSaleRequest, made as
// one object.
type recordParts struct {
	sale  [1]salesv1.Sale
	money [1]typev1.Money
	time  [1]timestamppb.Timestamp
}

// decodeRecord decodes a RecordSaleRequest from b into req (which is
// empty), or returns errNotPlain, leaving req to be reset.
func decodeRecord(b []byte, req *salesv1.RecordSaleRequest) error {
	if len(b) == 0 {
		return nil // no sale: the handler says it is required
	}
	num, typ, l := protowire.ConsumeTag(b)
	if l < 0 || num != 1 || typ != protowire.BytesType {
		return errNotPlain
	}
	v, n := protowire.ConsumeBytes(b[l:])
	if n < 0 || l+n != len(b) {
		return errNotPlain // damaged, or more fields than the one sale
	}
	p := new(recordParts)
	d := importDecoder{sales: p.sale[:], money: p.money[:], times: p.time[:]}
	s, err := d.sale(v)
	if err != nil {
		return err
	}
	req.Sale = s
	return nil
}
