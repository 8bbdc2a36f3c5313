package registry

import (
	"context"
	"github.com/cqlive/alliance/services/kit/members"

	"github.com/cqlive/alliance/services/kit/etag"
	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/fieldmask"
	"github.com/cqlive/alliance/services/kit/ids"
)

// CreateProduct adds p under the MERCHANT merchantID, for the merchant
// itself or a trusted caller. A nil p is a request without a product.
func (s *Service) CreateProduct(ctx context.Context, merchantID string, in *Product, productID, requestID string) (*Product, error) {
	if err := mayManage(ctx, MemberName(merchantID)); err != nil {
		return nil, err
	}
	if in == nil {
		return nil, fault.InvalidField("product", "is required")
	}
	p := *in
	if productID != "" && !ids.Valid(productID) {
		return nil, invalidID("product_id", productID)
	}
	return inTx(s.repo.Update, func(tx Tx) (*Product, error) {
		if name, err := madeBy(tx, "product", requestID); err != nil || name != "" {
			if err != nil {
				return nil, err
			}
			mID, pID, _ := ParseProductName(name)
			return tx.Product(mID, pID)
		}
		merchant, err := getMember(tx, merchantID)
		if err != nil {
			return nil, err
		}
		if merchant.Kind != members.Merchant {
			return nil, fault.New(fault.FailedPrecondition, ReasonWrongMemberKind,
				"products belong only to MERCHANT members; %s is a %s", merchant.Name(), merchant.Kind)
		}
		if merchant.State != members.Active {
			return nil, fault.New(fault.FailedPrecondition, ReasonMerchantNotActive,
				"%s is %s; only an ACTIVE merchant can add products", merchant.Name(), merchant.State)
		}
		p.MerchantID, p.ID = merchantID, productID
		if p.ID == "" {
			p.ID = ids.New()
		}
		if p.State == ProductStateUnspecified {
			p.State = ProductActive
		}
		if err := s.validateProduct(&p, func(string) bool { return true }); err != nil {
			return nil, err
		}
		existing, err := tx.Product(p.MerchantID, p.ID)
		if err != nil {
			return nil, err
		}
		if existing != nil {
			return nil, fault.New(fault.AlreadyExists, ReasonProductAlreadyExists, "product %q already exists", p.Name()).With("name", p.Name())
		}
		now := s.stamp()
		p.CreateTime, p.UpdateTime, p.Revision = now, now, 1
		if err := tx.PutProduct(&p); err != nil {
			return nil, err
		}
		if err := rememberRequest(tx, "product", requestID, p.Name()); err != nil {
			return nil, err
		}
		return &p, nil
	})
}

func getProduct(tx Tx, merchantID, productID string) (*Product, error) {
	p, err := tx.Product(merchantID, productID)
	if err != nil {
		return nil, err
	}
	if p == nil {
		name := ProductName(merchantID, productID)
		return nil, fault.New(fault.NotFound, ReasonProductNotFound, "product %q not found", name).With("name", name)
	}
	return p, nil
}

// GetProduct returns one product.
func (s *Service) GetProduct(merchantID, productID string) (*Product, error) {
	return inTx(s.repo.View, func(tx Tx) (*Product, error) { return getProduct(tx, merchantID, productID) })
}

// ProductFilter keeps products whose fields equal the set ones.
type ProductFilter struct {
	MerchantID     string // "" for every merchant
	Category       string
	OriginDistrict string
	State          ProductState
}

func (f ProductFilter) match(p *Product) bool {
	return (f.Category == "" || p.Category == f.Category) &&
		(f.OriginDistrict == "" || p.OriginDistrict == f.OriginDistrict) &&
		(f.State == ProductStateUnspecified || p.State == f.State)
}

// ListProducts returns up to limit products in name order after the cursor
// (a ProductKey), and the next cursor. A named merchant must exist.
func (s *Service) ListProducts(f ProductFilter, after string, limit int) ([]*Product, string, error) {
	pg := page[*Product]{limit: limit, keep: f.match, cursor: func(p *Product) string { return ProductKey(p.MerchantID, p.ID) }}
	err := s.repo.View(func(tx Tx) error {
		if f.MerchantID != "" {
			if _, err := getMember(tx, f.MerchantID); err != nil {
				return err
			}
		}
		return tx.Products(f.MerchantID, after, pg.add)
	})
	return pg.out, pg.next, err
}

// productUpdate is what an update of a product may name, and how each
// field is set.
var productUpdate = fieldmask.Update[Product]{
	Resource: "product",
	Fields: []fieldmask.Field[Product]{
		fieldmask.Value("display_name", func(p *Product) *string { return &p.DisplayName }),
		fieldmask.Value("category", func(p *Product) *string { return &p.Category }),
		fieldmask.Value("origin_district", func(p *Product) *string { return &p.OriginDistrict }),
		fieldmask.Value("list_price", func(p *Product) *Money { return &p.ListPrice }),
		fieldmask.Value("state", func(p *Product) *ProductState { return &p.State }),
	},
	OutputOnly: []string{"name", "create_time", "update_time", "etag"},
}

// UpdateProduct applies the fields of patch named by mask (see
// UpdateMember), for the owning merchant or a trusted caller.
func (s *Service) UpdateProduct(ctx context.Context, patch Product, mask []string, tag string) (*Product, error) {
	if err := mayManage(ctx, MemberName(patch.MerchantID)); err != nil {
		return nil, err
	}
	paths, err := productUpdate.Resolve(mask, &patch)
	if err != nil {
		return nil, err
	}
	return inTx(s.repo.Update, func(tx Tx) (*Product, error) {
		p, err := getProduct(tx, patch.MerchantID, patch.ID)
		if err != nil {
			return nil, err
		}
		if err := etag.Check(tag, p.Revision, p.Name()); err != nil {
			return nil, err
		}
		stored := *p
		if err := productUpdate.Apply(p, &patch, paths); err != nil {
			return nil, err
		}
		if err := s.validateProduct(p, productUpdate.Changed(&stored, p, paths)); err != nil {
			return nil, err
		}
		p.UpdateTime = s.stamp()
		p.Revision++
		if err := tx.PutProduct(p); err != nil {
			return nil, err
		}
		return p, nil
	})
}
