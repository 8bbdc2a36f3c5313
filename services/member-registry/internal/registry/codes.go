package registry

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"unicode/utf8"
)

// District is a district or county of the alliance's region.
type District struct {
	Code        string `json:"code"`
	DisplayName string `json:"display_name"`
}

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

// Districts is the list member and product district codes must come from.
type Districts struct {
	list   []District
	byCode map[string]District
}

var districtCode = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)

// NewDistricts checks a list: codes unique and in the id alphabet, names 1-200 characters.
func NewDistricts(list []District) (*Districts, error) {
	if len(list) == 0 {
		return nil, fmt.Errorf("the district list is empty")
	}
	d := &Districts{list: append([]District(nil), list...), byCode: make(map[string]District, len(list))}
	for i, x := range list {
		if !districtCode.MatchString(x.Code) {
			return nil, fmt.Errorf("district %d: code %q must be lowercase letters, digits and hyphens, starting with a letter", i, x.Code)
		}
		if n := utf8.RuneCountInString(x.DisplayName); n < 1 || n > 200 {
			return nil, fmt.Errorf("district %q: display_name must have 1-200 characters", x.Code)
		}
		if _, dup := d.byCode[x.Code]; dup {
			return nil, fmt.Errorf("district %q is listed twice", x.Code)
		}
		d.byCode[x.Code] = x
	}
	return d, nil
}

// DefaultDistricts is Chongqing's 38 districts and counties.
func DefaultDistricts() *Districts {
	d, err := NewDistricts(chongqing)
	if err != nil {
		panic(err) // the built-in list is checked by a test
	}
	return d
}

// LoadDistricts reads a JSON file: [{"code": "...", "display_name": "..."}, ...].
func LoadDistricts(path string) (*Districts, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("districts file: %w", err)
	}
	var list []District
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("districts file %s: %w", path, err)
	}
	d, err := NewDistricts(list)
	if err != nil {
		return nil, fmt.Errorf("districts file %s: %w", path, err)
	}
	return d, nil
}

// All returns the list in its given order.
func (d *Districts) All() []District { return append([]District(nil), d.list...) }

// Has reports whether code is a known district.
func (d *Districts) Has(code string) bool { _, ok := d.byCode[code]; return ok }
