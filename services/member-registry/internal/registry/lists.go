package registry

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"unicode/utf8"
)

// Coded is one entry of a list kept by code: a district or a category.
type Coded struct {
	Code        string `json:"code"`
	DisplayName string `json:"display_name"`
}

// District is a district or county of the alliance's region.
type District = Coded

// Category is a category of goods, for products and the category reports.
type Category = Coded

// Chongqing's 26 districts, 8 counties and 4 autonomous counties, in the
// official order. Codes are lowercase pinyin.
var chongqing = []District{
	{"wanzhou", "万州区"}, {"qianjiang", "黔江区"}, {"fuling", "涪陵区"}, {"yuzhong", "渝中区"},
	{"dadukou", "大渡口区"}, {"jiangbei", "江北区"}, {"shapingba", "沙坪坝区"}, {"jiulongpo", "九龙坡区"},
	{"nanan", "南岸区"}, {"beibei", "北碚区"}, {"qijiang", "綦江区"}, {"dazu", "大足区"},
	{"yubei", "渝北区"}, {"banan", "巴南区"}, {"changshou", "长寿区"}, {"jiangjin", "江津区"},
	{"hechuan", "合川区"}, {"yongchuan", "永川区"}, {"nanchuan", "南川区"}, {"bishan", "璧山区"},
	{"tongliang", "铜梁区"}, {"tongnan", "潼南区"}, {"rongchang", "荣昌区"}, {"kaizhou", "开州区"},
	{"liangping", "梁平区"}, {"wulong", "武隆区"},
	{"chengkou", "城口县"}, {"fengdu", "丰都县"}, {"dianjiang", "垫江县"}, {"zhongxian", "忠县"},
	{"yunyang", "云阳县"}, {"fengjie", "奉节县"}, {"wushan", "巫山县"}, {"wuxi", "巫溪县"},
	{"shizhu", "石柱土家族自治县"}, {"xiushan", "秀山土家族苗族自治县"},
	{"youyang", "酉阳土家族苗族自治县"}, {"pengshui", "彭水苗族土家族自治县"},
}

// goods are the categories the alliance's merchants sell: the produce of
// the districts first, then the other goods sold on air. The demo and the
// 2020 replay use some of each.
var goods = []Category{
	{"tea", "茶叶"}, {"agri-food", "农副产品"}, {"fruit", "水果"}, {"vegetables", "蔬菜"},
	{"grain", "粮油"}, {"meat", "肉禽"}, {"eggs", "禽蛋"}, {"honey", "蜂蜜"},
	{"herbal", "中药材"}, {"hotpot", "火锅底料"}, {"seasoning", "调味品"}, {"noodles", "面食"},
	{"snacks", "休闲零食"}, {"beverages", "饮料"}, {"spirits", "白酒"}, {"liquor", "酒类"},
	{"apparel", "服装"}, {"cosmetics", "美妆"}, {"home", "家居用品"}, {"electronics", "数码电器"},
	{"hardware", "五金工具"}, {"crafts", "手工艺品"},
}

// CodeList is a list that member and product fields must come from: the
// districts, the categories. Codes are unique and in the id alphabet.
type CodeList struct {
	what   string // "district", "category"
	list   []Coded
	byCode map[string]Coded
}

// Districts is the list member and product district codes must come from.
type Districts = CodeList

// Categories is the list product categories must come from.
type Categories = CodeList

var listCode = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)

// NewCodeList checks a list of what ("district"): codes unique and in the
// id alphabet, names 1-200 characters.
func NewCodeList(what string, list []Coded) (*CodeList, error) {
	if len(list) == 0 {
		return nil, fmt.Errorf("the %s list is empty", what)
	}
	d := &CodeList{what: what, list: append([]Coded(nil), list...), byCode: make(map[string]Coded, len(list))}
	for i, x := range list {
		if !listCode.MatchString(x.Code) {
			return nil, fmt.Errorf("%s %d: code %q must be lowercase letters, digits and hyphens, starting with a letter", what, i, x.Code)
		}
		if n := utf8.RuneCountInString(x.DisplayName); n < 1 || n > 200 {
			return nil, fmt.Errorf("%s %q: display_name must have 1-200 characters", what, x.Code)
		}
		if _, dup := d.byCode[x.Code]; dup {
			return nil, fmt.Errorf("%s %q is listed twice", what, x.Code)
		}
		d.byCode[x.Code] = x
	}
	return d, nil
}

// NewDistricts checks a district list (see NewCodeList).
func NewDistricts(list []District) (*Districts, error) { return NewCodeList("district", list) }

// NewCategories checks a category list (see NewCodeList).
func NewCategories(list []Category) (*Categories, error) { return NewCodeList("category", list) }

func mustList(what string, list []Coded) *CodeList {
	d, err := NewCodeList(what, list)
	if err != nil {
		panic(err) // the built-in lists are checked by a test
	}
	return d
}

// DefaultDistricts is Chongqing's 38 districts and counties.
func DefaultDistricts() *Districts { return mustList("district", chongqing) }

// DefaultCategories is the built-in list of the alliance's goods.
func DefaultCategories() *Categories { return mustList("category", goods) }

// LoadCodeList reads a JSON file: [{"code": "...", "display_name": "..."}, ...].
func LoadCodeList(what, path string) (*CodeList, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s file: %w", what, err)
	}
	var list []Coded
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("%s file %s: %w", what, path, err)
	}
	d, err := NewCodeList(what, list)
	if err != nil {
		return nil, fmt.Errorf("%s file %s: %w", what, path, err)
	}
	return d, nil
}

// LoadDistricts reads a districts file (see LoadCodeList).
func LoadDistricts(path string) (*Districts, error) { return LoadCodeList("district", path) }

// LoadCategories reads a categories file (see LoadCodeList).
func LoadCategories(path string) (*Categories, error) { return LoadCodeList("category", path) }

// All returns the list in its given order.
func (d *CodeList) All() []Coded { return append([]Coded(nil), d.list...) }

// Has reports whether code is on the list.
func (d *CodeList) Has(code string) bool { _, ok := d.byCode[code]; return ok }
