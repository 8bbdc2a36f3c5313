package rpc

import (
	"errors"
	"unicode/utf8"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// The import request is decoded by hand (wireCodec.Unmarshal): an
// ImportSales message carries 1,000 sales, and the proto codec made seven
// objects of each (the sale, its money, its time and four strings), a
// tenth of an import's CPU with the collection they cost. Here a message's
// sales, moneys and times are one slice each, and a session, product or
// currency that repeats the line before's is the same string: what is
// left is one string a line, its external id (and a refund's order).
//
// The decoder reads the sales the clients send, and nothing else: a
// field it does not read (name, create_time, attribution, an unknown
// one), a field repeated within one sale, or anything that is not well
// formed sends the whole message to the proto codec instead, which gives
// the same message, or the same error, as ever.

// errNotPlain is a message the import decoder leaves to the proto codec.
var errNotPlain = errors.New("not a plain import message")

// Unmarshal decodes an ImportSalesRequest (decodeImport) and a
// RecordSaleRequest (decodeRecord) by hand, and every other message, or
// one they leave, with the proto codec.
func (c wireCodec) Unmarshal(data mem.BufferSlice, v any) error {
	switch req := v.(type) {
	case *salesv1.ImportSalesRequest:
		var err error
		if byHand(data, func(b []byte) error { err = decodeImport(b, req); return err }) {
			return nil
		}
		if errors.Is(err, errTooManyLines) {
			req.Reset()
			return err // nor to the proto codec, which would make every line
		}
		req.Reset()
	case *salesv1.RecordSaleRequest:
		if byHand(data, func(b []byte) error { return decodeRecord(b, req) }) {
			return nil
		}
		req.Reset()
	}
	return c.CodecV2.Unmarshal(data, v)
}

// byHand reports whether decode read the bytes of data.
func byHand(data mem.BufferSlice, decode func(b []byte) error) bool {
	var b []byte
	var buf mem.Buffer
	if len(data) == 1 {
		b = data[0].ReadOnlyData()
	} else {
		buf = data.MaterializeToBuffer(mem.DefaultBufferPool())
		b = buf.ReadOnlyData()
	}
	err := decode(b)
	if buf != nil {
		buf.Free() // the message holds copies of what it took
	}
	return err == nil
}

// decodeImport decodes an ImportSalesRequest from b into req (which is
// empty), or returns errNotPlain, leaving req to be reset.
func decodeImport(b []byte, req *salesv1.ImportSalesRequest) error {
	n, err := countSales(b)
	if err != nil {
		return err
	}
	d := importDecoder{
		sales: make([]salesv1.Sale, n),
		money: make([]typev1.Money, n),
		times: make([]timestamppb.Timestamp, n),
	}
	if n > 0 {
		req.Sales = make([]*salesv1.Sale, 0, n)
	}
	for len(b) > 0 {
		num, typ, l := protowire.ConsumeTag(b)
		if l < 0 || typ != protowire.BytesType {
			return errNotPlain
		}
		b = b[l:]
		v, l := protowire.ConsumeBytes(b)
		if l < 0 {
			return errNotPlain
		}
		b = b[l:]
		s, err := d.sale(v)
		if err != nil {
			return err
		}
		switch num {
		case 1:
			if req.Sale != nil {
				return errNotPlain // the proto codec merges the two
			}
			req.Sale = s
		case 2:
			req.Sales = append(req.Sales, s)
		}
	}
	return nil
}

// MaxImportMessageLines bounds the sales of one ImportSales message. A
// sale costs two bytes of the wire at the least (an empty one), and some
// 300 bytes decoded, by hand or by the proto codec: a 4 MiB message of two
// million empty sales made the server allocate 600 MB before it judged a
// line, and a few such streams at once ran it out of memory. A real sale
// takes 70 bytes or more, so a message within the receive limit carries
// fewer than this.
const MaxImportMessageLines = 1 << 16

// errTooManyLines refuses a message of more than MaxImportMessageLines
// sales before anything of it is decoded; the server's codec answers it
// INVALID_ARGUMENT MALFORMED_REQUEST (kit/grpcx), which ends the stream.
var errTooManyLines = errors.New("an import message carries more sales than MaxImportMessageLines")

// countSales counts the sales of a request (fields 1 and 2), and refuses
// any other field (errNotPlain) once it has counted them all: a message of
// more than MaxImportMessageLines sales is errTooManyLines, whatever else
// it holds, even bytes that do not parse after them.
func countSales(b []byte) (int, error) {
	n, sales := 0, 0
	plain := true
	for len(b) > 0 {
		num, typ, l := protowire.ConsumeTag(b)
		if l < 0 {
			return 0, errNotPlain
		}
		b = b[l:]
		l = protowire.ConsumeFieldValue(num, typ, b)
		if l < 0 {
			return 0, errNotPlain
		}
		b = b[l:]
		n++
		if num == 2 {
			if sales++; sales > MaxImportMessageLines {
				return 0, errTooManyLines
			}
		}
		plain = plain && typ == protowire.BytesType && (num == 1 || num == 2)
	}
	if !plain {
		return 0, errNotPlain
	}
	return n, nil
}

// importDecoder hands out a message's sales from its slices, and the
// strings it read last.
type importDecoder struct {
	sales                      []salesv1.Sale
	money                      []typev1.Money
	times                      []timestamppb.Timestamp
	session, product, currency string
}

// sale decodes the next sale of the message from b.
func (d *importDecoder) sale(b []byte) (*salesv1.Sale, error) {
	s, m, t := &d.sales[0], &d.money[0], &d.times[0]
	d.sales, d.money, d.times = d.sales[1:], d.money[1:], d.times[1:]
	err := fields(b, 10, 1<<4|1<<5|1<<7, func(num protowire.Number, v uint64, bs []byte) error {
		var err error
		switch num {
		case 2:
			s.Session, err = same(&d.session, bs)
		case 3:
			s.Product, err = same(&d.product, bs)
		case 4:
			s.Kind = salesv1.SaleKind(int32(v))
		case 5:
			s.Quantity = int64(v)
		case 6:
			s.Amount, err = m, fields(bs, 2, 1<<2, func(num protowire.Number, v uint64, bs []byte) error {
				if num == 2 {
					m.MinorUnits = int64(v)
					return nil
				}
				var err error
				m.CurrencyCode, err = same(&d.currency, bs)
				return err
			})
		case 7:
			s.Platform = typev1.Platform(int32(v))
		case 8:
			s.ExternalId, err = text(bs)
		case 9:
			s.RefundOf, err = text(bs)
		case 10:
			s.EventTime, err = t, fields(bs, 2, 1<<1|1<<2, func(num protowire.Number, v uint64, _ []byte) error {
				if num == 1 {
					t.Seconds = int64(v)
				} else {
					t.Nanos = int32(v)
				}
				return nil
			})
		default:
			err = errNotPlain // name, an output only
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// fields calls each with every field of message b, numbered 1 to last,
// each once at most, and its value: a varint for the numbers in varints
// (a bit each), the bytes of a length-delimited field for the others.
// Anything else is errNotPlain.
func fields(b []byte, last protowire.Number, varints uint32, each func(num protowire.Number, v uint64, bs []byte) error) error {
	var seen uint32
	for len(b) > 0 {
		num, typ, l := protowire.ConsumeTag(b)
		if l < 0 || num < 1 || num > last || seen&(1<<num) != 0 {
			return errNotPlain
		}
		seen |= 1 << num
		b = b[l:]
		var v uint64
		var bs []byte
		switch varint := varints&(1<<num) != 0; {
		case varint && typ == protowire.VarintType:
			v, l = protowire.ConsumeVarint(b)
		case !varint && typ == protowire.BytesType:
			bs, l = protowire.ConsumeBytes(b)
		default:
			return errNotPlain
		}
		if l < 0 {
			return errNotPlain
		}
		b = b[l:]
		if err := each(num, v, bs); err != nil {
			return err
		}
	}
	return nil
}

// same is the string of b: last, when b repeats it (no copy), else a new
// one, which becomes last.
func same(last *string, b []byte) (string, error) {
	if string(b) == *last {
		return *last, nil
	}
	s, err := text(b)
	if err == nil {
		*last = s
	}
	return s, err
}

// text is b as a string, which proto3 requires to be UTF-8.
func text(b []byte) (string, error) {
	if !utf8.Valid(b) {
		return "", errNotPlain
	}
	return string(b), nil
}
