package main

import (
	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
)

// The demo alliance, modelled on Chongqing's 2020 story: the Alibaba
// Jiulongpo base and the Tianxia Dazu base with their studios, a service
// agency with its hosts, a district head who sells Banan Yinzhen green tea
// on air, and merchants with the produce of the districts. People appear by
// their role, never by name.

type memberSpec struct {
	id   string
	kind memberv1.MemberKind
	name string
	dist string
	// HOST
	agency   string
	official bool
	// BASE
	studios [][2]string // id, display name
}

type productSpec struct {
	merchant, id, name, category, origin string
	price                                int64 // fen
}

const (
	host     = memberv1.MemberKind_MEMBER_KIND_HOST
	base     = memberv1.MemberKind_MEMBER_KIND_BASE
	agency   = memberv1.MemberKind_MEMBER_KIND_AGENCY
	merchant = memberv1.MemberKind_MEMBER_KIND_MERCHANT
	office   = memberv1.MemberKind_MEMBER_KIND_DISTRICT_OFFICE
)

// Order matters: an agency before its hosts.
var members = []memberSpec{
	{id: "jiulongpo-base", kind: base, name: "阿里巴巴九龙坡直播基地", dist: "jiulongpo",
		studios: [][2]string{{"studio-1", "一号直播间"}, {"studio-2", "二号直播间"}, {"studio-3", "三号直播间"}}},
	{id: "dazu-base", kind: base, name: "天下大足直播基地", dist: "dazu",
		studios: [][2]string{{"studio-1", "石刻厅"}, {"studio-2", "五金厅"}}},
	// The base of the booking rules (rules.go): nothing else books into it.
	{id: "yubei-base", kind: base, name: "渝北临空直播基地", dist: "yubei",
		studios: [][2]string{{"studio-1", "临空一号厅"}, {"studio-2", "临空二号厅"}}},
	{id: "jiating-agency", kind: agency, name: "佳婷直播服务机构", dist: "yubei"},
	{id: "banan-office", kind: office, name: "巴南区人民政府", dist: "banan"},
	{id: "dazu-office", kind: office, name: "大足区人民政府", dist: "dazu"},
	{id: "banan-district-head", kind: host, name: "巴南区区长", dist: "banan", official: true},
	{id: "fengjie-county-head", kind: host, name: "奉节县副县长", dist: "fengjie", official: true},
	{id: "food-host", kind: host, name: "美食带货主播", dist: "jiulongpo", agency: "jiating-agency"},
	{id: "farm-host", kind: host, name: "助农主播", dist: "dazu", agency: "jiating-agency"},
	{id: "tea-host", kind: host, name: "茶艺主播", dist: "banan", agency: "jiating-agency"},
	{id: "campus-host", kind: host, name: "大学生主播", dist: "shapingba"},
	{id: "banan-tea-farm", kind: merchant, name: "巴南银针茶场", dist: "banan"},
	{id: "fuling-zhacai", kind: merchant, name: "涪陵榨菜企业", dist: "fuling"},
	{id: "fengjie-orchard", kind: merchant, name: "奉节脐橙合作社", dist: "fengjie"},
	{id: "city-supermarket", kind: merchant, name: "重庆连锁超市", dist: "yuzhong"},
	{id: "dazu-crafts", kind: merchant, name: "大足五金与文创", dist: "dazu"},
}

var products = []productSpec{
	{"banan-tea-farm", "yinzhen-green-tea", "巴南银针 明前绿茶 250g", "tea", "banan", 12800},
	{"banan-tea-farm", "yinzhen-gift-box", "巴南银针 礼盒", "tea", "banan", 26800},
	{"fuling-zhacai", "zhacai-pack", "涪陵榨菜 家庭装", "agri-food", "fuling", 2990},
	{"fengjie-orchard", "navel-oranges", "奉节脐橙 5kg", "fruit", "fengjie", 6990},
	{"city-supermarket", "hotpot-base", "重庆火锅底料", "agri-food", "yuzhong", 3980},
	{"city-supermarket", "xiaomian", "重庆小面", "agri-food", "jiulongpo", 2590},
	{"city-supermarket", "jiangjin-pepper", "江津青花椒", "agri-food", "jiangjin", 3500},
	{"city-supermarket", "rongchang-goose", "荣昌卤鹅", "agri-food", "rongchang", 5880},
	{"dazu-crafts", "kitchen-knife", "大足龙水刀具", "hardware", "dazu", 15900},
	{"dazu-crafts", "stone-carving-replica", "大足石刻文创摆件", "crafts", "dazu", 19900},
}

// sessionPlan is one live session of the demo day.
type sessionPlan struct {
	title    string
	host     string
	studio   string // members/{base}/studios/{id}
	platform typev1.Platform
	// the merchants' products on sale
	products []string
	orders   int
}

func studio(base, id string) string { return "members/" + base + "/studios/" + id }

const (
	taobao   = typev1.Platform_PLATFORM_TAOBAO_LIVE
	douyin   = typev1.Platform_PLATFORM_DOUYIN
	kuaishou = typev1.Platform_PLATFORM_KUAISHOU
	wechat   = typev1.Platform_PLATFORM_WECHAT_CHANNELS
	pdd      = typev1.Platform_PLATFORM_PINDUODUO
)

var plans = []sessionPlan{
	{"区长带你品巴南银针", "banan-district-head", studio("jiulongpo-base", "studio-1"), taobao,
		[]string{"banan-tea-farm/yinzhen-green-tea", "banan-tea-farm/yinzhen-gift-box"}, 14},
	{"奉节脐橙助农专场", "fengjie-county-head", studio("dazu-base", "studio-1"), douyin,
		[]string{"fengjie-orchard/navel-oranges"}, 12},
	{"重庆味道 火锅与小面", "food-host", studio("jiulongpo-base", "studio-2"), douyin,
		[]string{"city-supermarket/hotpot-base", "city-supermarket/xiaomian", "city-supermarket/jiangjin-pepper"}, 16},
	{"荣昌卤鹅 夜宵场", "food-host", studio("jiulongpo-base", "studio-3"), kuaishou,
		[]string{"city-supermarket/rongchang-goose"}, 8},
	{"涪陵榨菜 家常下饭", "farm-host", studio("dazu-base", "studio-2"), pdd,
		[]string{"fuling-zhacai/zhacai-pack"}, 10},
	{"大足五金 龙水刀", "farm-host", studio("dazu-base", "studio-1"), taobao,
		[]string{"dazu-crafts/kitchen-knife", "dazu-crafts/stone-carving-replica"}, 6},
	{"茶艺课 银针冲泡", "tea-host", studio("jiulongpo-base", "studio-1"), wechat,
		[]string{"banan-tea-farm/yinzhen-green-tea"}, 9},
	{"大学生助农 奉节脐橙", "campus-host", studio("jiulongpo-base", "studio-2"), kuaishou,
		[]string{"fengjie-orchard/navel-oranges", "fuling-zhacai/zhacai-pack"}, 11},
	{"巴南银针 礼盒专场", "banan-district-head", studio("dazu-base", "studio-2"), douyin,
		[]string{"banan-tea-farm/yinzhen-gift-box"}, 7},
	{"江津花椒 麻辣好物", "tea-host", studio("jiulongpo-base", "studio-3"), taobao,
		[]string{"city-supermarket/jiangjin-pepper", "city-supermarket/hotpot-base"}, 10},
}

// Sessions booked for the coming days: the schedule the scheduler keeps.
var upcoming = []sessionPlan{
	{"周末助农 巴南银针", "banan-district-head", studio("jiulongpo-base", "studio-1"), taobao,
		[]string{"banan-tea-farm/yinzhen-green-tea"}, 0},
	{"奉节脐橙 返场", "fengjie-county-head", studio("dazu-base", "studio-1"), douyin,
		[]string{"fengjie-orchard/navel-oranges"}, 0},
	{"重庆小面 早餐场", "food-host", studio("jiulongpo-base", "studio-2"), kuaishou,
		[]string{"city-supermarket/xiaomian"}, 0},
}
