package app_test

import (
	"os"
	"path/filepath"
	"testing"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/service"
	"github.com/cqlive/alliance/services/kit/testkit"
	"github.com/cqlive/alliance/services/member-registry/app"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

func TestCategories(t *testing.T) {
	c := startRegistry(t, t.TempDir())
	resp := must[*memberv1.ListCategoriesResponse](t)(c.ListCategories(ctx, &memberv1.ListCategoriesRequest{}))
	names := map[string]string{}
	for _, cat := range resp.Categories {
		names[cat.Code] = cat.DisplayName
	}
	// Every category the demo and the 2020 replay sell, and the ones
	// sales-reporting has display names for.
	for _, code := range []string{"tea", "agri-food", "fruit", "hotpot", "noodles", "spirits", "apparel", "crafts", "snacks", "home", "hardware",
		"vegetables", "meat", "grain", "liquor", "beverages", "cosmetics", "electronics", "herbal", "seasoning", "honey", "eggs"} {
		if names[code] == "" {
			t.Errorf("category %s is not in the default list", code)
		}
	}
	if names["tea"] != "茶叶" {
		t.Errorf("tea is %q, want 茶叶", names["tea"])
	}
}

func product(category, currency string) *memberv1.Product {
	p := tea()
	p.Category, p.ListPrice = category, &typev1.Money{CurrencyCode: currency, MinorUnits: 100}
	return p
}

func TestAProductTakesItsCategoryFromTheList(t *testing.T) {
	c := startRegistry(t, t.TempDir())
	create(t, c, "farm", ofKind(memberv1.MemberKind_MEMBER_KIND_MERCHANT, "banan"))
	cases := []struct {
		name, category string
		code           codes.Code
		reason         string
	}{
		{"a listed category", "agri-food", codes.OK, ""},
		{"a typo is an unknown category", "agri-fod", codes.InvalidArgument, "UNKNOWN_CATEGORY"},
		{"a slug in another case is unknown", "Tea", codes.InvalidArgument, "UNKNOWN_CATEGORY"},
		{"an empty category is unknown", "", codes.InvalidArgument, "UNKNOWN_CATEGORY"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.CreateProduct(ctx, &memberv1.CreateProductRequest{Parent: "members/farm", Product: product(tc.category, "CNY")})
			if tc.code == codes.OK {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantErr(t, err, tc.code, tc.reason)
			if f := grpcx.FieldViolations(err); len(f) != 1 || f[0] != "product.category" {
				t.Fatalf("field violations %v, want [product.category]", f)
			}
		})
	}
	p := must[*memberv1.Product](t)(c.CreateProduct(ctx, &memberv1.CreateProductRequest{Parent: "members/farm", ProductId: "p", Product: tea()}))
	_, err := c.UpdateProduct(ctx, &memberv1.UpdateProductRequest{
		Product: &memberv1.Product{Name: p.Name, Category: "teaa"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"category"}}})
	wantErr(t, err, codes.InvalidArgument, "UNKNOWN_CATEGORY")
}

// serveStoppable runs srv on loopback until stop is called.
func serveStoppable(t *testing.T, srv *grpcx.Server) (memberv1.MemberRegistryClient, func()) {
	t.Helper()
	addr, stop := testkit.ServeOn(t, srv, "127.0.0.1:0")
	return memberv1.NewMemberRegistryClient(testkit.Dial(t, addr)), stop
}

// TestProductsOfAnOldCategoryStayReadable: a product stored under a
// category the list no longer has is still read, and still updated in its
// other fields; only setting a category needs a listed one.
func TestProductsOfAnOldCategoryStayReadable(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "categories.json")
	if err := os.WriteFile(file, []byte(`[{"code":"tea","display_name":"茶叶"},{"code":"mooncakes","display_name":"月饼"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	srv, err := app.New(app.Config{Config: service.Config{DataDir: dir}, CategoriesFile: file}, testkit.Quiet)
	if err != nil {
		t.Fatal(err)
	}
	c, stop := serveStoppable(t, srv)
	list := must[*memberv1.ListCategoriesResponse](t)(c.ListCategories(ctx, &memberv1.ListCategoriesRequest{}))
	if len(list.Categories) != 2 || list.Categories[1].Code != "mooncakes" {
		t.Fatalf("the file's list: %v", list.Categories)
	}
	create(t, c, "bakery", ofKind(memberv1.MemberKind_MEMBER_KIND_MERCHANT, "yuzhong"))
	_, err = c.CreateProduct(ctx, &memberv1.CreateProductRequest{Parent: "members/bakery", Product: product("agri-food", "CNY")})
	wantErr(t, err, codes.InvalidArgument, "UNKNOWN_CATEGORY") // the file replaced the built-in list
	p := must[*memberv1.Product](t)(c.CreateProduct(ctx, &memberv1.CreateProductRequest{Parent: "members/bakery", ProductId: "moon", Product: product("mooncakes", "CNY")}))
	stop()

	// The same file, opened with the built-in list, which has no mooncakes.
	c2 := startRegistry(t, dir)
	got := must[*memberv1.Product](t)(c2.GetProduct(ctx, &memberv1.GetProductRequest{Name: p.Name}))
	if got.Category != "mooncakes" {
		t.Fatalf("the old product reads %v", got)
	}
	listed := must[*memberv1.ListProductsResponse](t)(c2.ListProducts(ctx, &memberv1.ListProductsRequest{Parent: "members/-", Category: "mooncakes"}))
	if len(listed.Products) != 1 {
		t.Fatalf("listing by the old category: %v", listed.Products)
	}
	upd := must[*memberv1.Product](t)(c2.UpdateProduct(ctx, &memberv1.UpdateProductRequest{
		Product: &memberv1.Product{Name: p.Name, State: memberv1.ProductState_PRODUCT_STATE_DISCONTINUED}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"state"}}}))
	if upd.State != memberv1.ProductState_PRODUCT_STATE_DISCONTINUED || upd.Category != "mooncakes" {
		t.Fatalf("updating the old product's state: %v", upd)
	}
	// Sent back with the category it has, the product is updated in what
	// changed; a category the list does not have is still refused when set.
	upd = must[*memberv1.Product](t)(c2.UpdateProduct(ctx, &memberv1.UpdateProductRequest{
		Product: &memberv1.Product{Name: p.Name, Category: "mooncakes", DisplayName: "月饼"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"category", "display_name"}}}))
	if upd.DisplayName != "月饼" || upd.Category != "mooncakes" {
		t.Fatalf("the old product sent back with its category: %v", upd)
	}
	_, err = c2.UpdateProduct(ctx, &memberv1.UpdateProductRequest{
		Product: &memberv1.Product{Name: p.Name, Category: "birthday-cakes"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"category"}}})
	wantErr(t, err, codes.InvalidArgument, "UNKNOWN_CATEGORY")
}

func TestACategoriesFileIsChecked(t *testing.T) {
	for name, content := range map[string]string{
		"not JSON":           `tea`,
		"an empty list":      `[]`,
		"a code twice":       `[{"code":"tea","display_name":"茶"},{"code":"tea","display_name":"茶叶"}]`,
		"an upper-case code": `[{"code":"Tea","display_name":"茶"}]`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "c.json")
			os.WriteFile(file, []byte(content), 0o600)
			if srv, err := app.New(app.Config{Config: service.Config{DataDir: dir}, CategoriesFile: file}, testkit.Quiet); err == nil {
				testkit.Serve(t, srv) // closes it
				t.Fatal("accepted")
			}
		})
	}
}

func TestListPricesTakeISO4217Codes(t *testing.T) {
	c := startRegistry(t, t.TempDir())
	create(t, c, "shop", ofKind(memberv1.MemberKind_MEMBER_KIND_MERCHANT, "yuzhong"))
	for _, tc := range []struct {
		currency string
		ok       bool
	}{
		{"CNY", true}, {"HKD", true}, {"USD", true},
		{"RMB", false}, {"cny", false}, {"Cny", false}, {"CN", false}, {"CNYY", false}, {"", false}, {"XXX", false}, {"ABC", false},
	} {
		t.Run(tc.currency, func(t *testing.T) {
			_, err := c.CreateProduct(ctx, &memberv1.CreateProductRequest{Parent: "members/shop", Product: product("tea", tc.currency)})
			if tc.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantErr(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
			if f := grpcx.FieldViolations(err); len(f) != 1 || f[0] != "product.list_price.currency_code" {
				t.Fatalf("field violations %v", f)
			}
		})
	}
	p := must[*memberv1.Product](t)(c.CreateProduct(ctx, &memberv1.CreateProductRequest{Parent: "members/shop", ProductId: "p", Product: tea()}))
	_, err := c.UpdateProduct(ctx, &memberv1.UpdateProductRequest{
		Product:    &memberv1.Product{Name: p.Name, ListPrice: &typev1.Money{CurrencyCode: "RMB", MinorUnits: 100}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"list_price"}}})
	wantErr(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
}
