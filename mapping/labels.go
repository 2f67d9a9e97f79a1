package mapping

import (
	"math/bits"
	"strings"
)

// Labels ↔ codes. The platforms speak codes (JX, FCSB, "1"), people speak Chinese labels in
// several spellings (机械, 机械行业, 涉爆粉尘). Each Parse function accepts the code, the label and
// the common variants, case-insensitively and in full or half width; each Label method gives the
// label back for display. Lookups are switch statements over a cleaned key: no maps to build,
// no allocation for an already clean value.

// labelKey writes the form labels are looked up in — cleaned, folded, upper-case, no white
// space — to buf and returns it. Callers pass a stack array's slice and switch on string(key),
// which the compiler does without allocating.
func labelKey(buf []byte, s string) []byte {
	out, same, changed := rewriteTo(buf, s, rulesKey)
	if changed {
		return out
	}
	return append(buf, same...)
}

func trimSuffix(k []byte, suffix string) []byte {
	if n := len(k) - len(suffix); n >= 0 && string(k[n:]) == suffix {
		return k[:n]
	}
	return k
}

func trimPrefix(k []byte, prefix string) []byte {
	if len(k) >= len(prefix) && string(k[:len(prefix)]) == prefix {
		return k[len(prefix):]
	}
	return k
}

// The 行业类别 codes, in the contract's order.
const (
	IndustryMetallurgy        Industry = "YJ" // 冶金
	IndustryNonFerrous        Industry = "YS" // 有色
	IndustryBuildingMaterials Industry = "JC" // 建材
	IndustryMachinery         Industry = "JX" // 机械
	IndustryLight             Industry = "QG" // 轻工
	IndustryTextile           Industry = "FZ" // 纺织
	IndustryTobacco           Industry = "YC" // 烟草
	IndustryCommerce          Industry = "SM" // 商贸
)

// Industries lists the 行业类别 codes in the contract's order.
func Industries() []Industry {
	return []Industry{IndustryMetallurgy, IndustryNonFerrous, IndustryBuildingMaterials, IndustryMachinery,
		IndustryLight, IndustryTextile, IndustryTobacco, IndustryCommerce}
}

// ParseIndustry reads a 行业类别 code or label: JX, jx, 机械, 机械行业, 机械类, 有色金属, 建筑材料, 轻工业 ….
func ParseIndustry(s string) (Industry, bool) {
	var buf [64]byte
	k := labelKey(buf[:0], s)
	k = trimSuffix(k, "行业")
	k = trimSuffix(k, "类")
	switch string(k) {
	case "YJ", "冶金", "冶金工业", "钢铁":
		return IndustryMetallurgy, true
	case "YS", "有色", "有色金属":
		return IndustryNonFerrous, true
	case "JC", "建材", "建筑材料":
		return IndustryBuildingMaterials, true
	case "JX", "机械", "机械制造":
		return IndustryMachinery, true
	case "QG", "轻工", "轻工业":
		return IndustryLight, true
	case "FZ", "纺织", "纺织业", "纺织服装":
		return IndustryTextile, true
	case "YC", "烟草":
		return IndustryTobacco, true
	case "SM", "商贸", "商贸业":
		return IndustryCommerce, true
	}
	return Industry(rewrite(s, rulesText)), false
}

// Known reports whether i is one of the eight codes.
func (i Industry) Known() bool { return i.Label() != "" }

// Label returns the Chinese label of a known code, else "".
func (i Industry) Label() string {
	switch i {
	case IndustryMetallurgy:
		return "冶金"
	case IndustryNonFerrous:
		return "有色"
	case IndustryBuildingMaterials:
		return "建材"
	case IndustryMachinery:
		return "机械"
	case IndustryLight:
		return "轻工"
	case IndustryTextile:
		return "纺织"
	case IndustryTobacco:
		return "烟草"
	case IndustryCommerce:
		return "商贸"
	}
	return ""
}

// The 重点类型 codes, in the contract's order (which is also the canonical order on the wire).
const (
	KeyRiskDust        KeyRisk = "FCSB" // 粉尘涉爆
	KeyRiskAmmonia     KeyRisk = "SAZL" // 涉氨制冷
	KeyRiskConfined    KeyRisk = "YXKJ" // 有限空间
	KeyRiskMoltenMetal KeyRisk = "GWRR" // 高温熔融金属
	KeyRiskGas         KeyRisk = "MQ"   // 煤气
	KeyRiskChlorine    KeyRisk = "SL"   // 涉氯
	KeyRiskSprayPaint  KeyRisk = "PT"   // 喷涂
	keyRiskCount               = 7
)

// keyRiskOrder is the contract's table order; a KeyRisk's index here is its bit in a set.
var keyRiskOrder = [keyRiskCount]KeyRisk{KeyRiskDust, KeyRiskAmmonia, KeyRiskConfined,
	KeyRiskMoltenMetal, KeyRiskGas, KeyRiskChlorine, KeyRiskSprayPaint}

// KeyRisks lists the 重点类型 codes in the contract's order.
func KeyRisks() []KeyRisk { return append([]KeyRisk(nil), keyRiskOrder[:]...) }

// keyRiskIndex returns the table index of one cleaned code or label, or -1.
func keyRiskIndex(k string) int {
	switch k {
	case "FCSB", "粉尘涉爆", "涉爆粉尘", "粉尘爆炸", "粉尘防爆", "涉粉尘", "粉尘涉爆企业":
		return 0
	case "SAZL", "涉氨制冷", "氨制冷", "液氨制冷", "涉氨", "涉氨制冷企业":
		return 1
	case "YXKJ", "有限空间", "有限空间作业", "受限空间", "受限空间作业", "有限空间企业":
		return 2
	case "GWRR", "高温熔融金属", "熔融金属", "高温熔融", "涉高温熔融金属", "高温液态金属":
		return 3
	case "MQ", "煤气", "涉煤气", "煤气作业", "煤气使用":
		return 4
	case "SL", "涉氯", "氯气", "涉氯作业", "液氯":
		return 5
	case "PT", "喷涂", "喷涂作业", "喷漆", "涂装", "喷涂涂装":
		return 6
	}
	return -1
}

// isNoneLabel reports the words that mean "no key-risk type" in a cell.
func isNoneLabel(k string) bool {
	switch k {
	case "", "无", "没有", "否", "-", "—", "NONE":
		return true
	}
	return false
}

// isKeyRiskSeparator reports the separators people put between several types; any white space
// separates too.
func isKeyRiskSeparator(r rune, size int) bool {
	switch r {
	case '、', ',', '，', ';', '；', '/', '／', '|', '｜', '+', '＋':
		return true
	}
	return classify(r, size) == kindSpace
}

// cutKeyRisk splits s at its first separator.
func cutKeyRisk(s string) (part, rest string) {
	for i := 0; i < len(s); {
		r, size := decodeRune(s, i)
		if isKeyRiskSeparator(r, size) {
			return s[:i], s[i+size:]
		}
		i += size
	}
	return s, ""
}

// ParseKeyRisks reads a 重点类型 cell or zdlx value: several codes or labels separated by 、 , ，
// ; ； / or white space. It returns the codes in the contract's order without duplicates; parts it
// cannot read follow them, cleaned and in the order given, and ok is false. "", 无 and / mean none.
func ParseKeyRisks(s string) (risks []KeyRisk, ok bool) {
	var set uint8
	var unknown []KeyRisk
	for rest := s; rest != ""; {
		var part string
		part, rest = cutKeyRisk(rest)
		var buf [64]byte
		k := labelKey(buf[:0], part)
		if isNoneLabel(string(k)) {
			continue
		}
		if n := keyRiskIndex(string(k)); n >= 0 {
			set |= 1 << n
			continue
		}
		u := KeyRisk(rewrite(part, rulesText))
		if !containsKeyRisk(unknown, u) {
			unknown = append(unknown, u)
		}
	}
	return keyRiskList(set, unknown), len(unknown) == 0
}

func containsKeyRisk(ks []KeyRisk, k KeyRisk) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

// keyRiskList builds the canonical slice: set's codes in table order, then unknown; nil if empty.
func keyRiskList(set uint8, unknown []KeyRisk) []KeyRisk {
	n := bits.OnesCount8(set) + len(unknown)
	if n == 0 {
		return nil
	}
	out := make([]KeyRisk, 0, n)
	for i, k := range keyRiskOrder {
		if set&(1<<i) != 0 {
			out = append(out, k)
		}
	}
	return append(out, unknown...)
}

// normalizeKeyRisks re-reads every element (a label, a code, or a whole cell) and returns the
// canonical list; an already canonical list is returned as is, without allocating.
func normalizeKeyRisks(ks []KeyRisk) []KeyRisk {
	if len(ks) == 0 {
		return nil
	}
	canonical, prev := true, -1
	for _, k := range ks {
		n := keyRiskIndex(string(k))
		if n <= prev || keyRiskOrder[n] != k {
			canonical = false
			break
		}
		prev = n
	}
	if canonical {
		return ks
	}
	var set uint8
	var unknown []KeyRisk
	for _, k := range ks {
		parsed, _ := ParseKeyRisks(string(k))
		for _, p := range parsed {
			if n := keyRiskIndex(string(p)); n >= 0 {
				set |= 1 << n
			} else if !containsKeyRisk(unknown, p) {
				unknown = append(unknown, p)
			}
		}
	}
	return keyRiskList(set, unknown)
}

// Known reports whether k is one of the seven codes.
func (k KeyRisk) Known() bool { return k.Label() != "" }

// Label returns the Chinese label of a known code, else "".
func (k KeyRisk) Label() string {
	switch k {
	case KeyRiskDust:
		return "粉尘涉爆"
	case KeyRiskAmmonia:
		return "涉氨制冷"
	case KeyRiskConfined:
		return "有限空间"
	case KeyRiskMoltenMetal:
		return "高温熔融金属"
	case KeyRiskGas:
		return "煤气"
	case KeyRiskChlorine:
		return "涉氯"
	case KeyRiskSprayPaint:
		return "喷涂"
	}
	return ""
}

// KeyRiskLabels joins the labels of ks with 、 for display; unknown entries appear as they are.
func KeyRiskLabels(ks []KeyRisk) string {
	parts := make([]string, len(ks))
	for i, k := range ks {
		if parts[i] = k.Label(); parts[i] == "" {
			parts[i] = string(k)
		}
	}
	return strings.Join(parts, "、")
}

// The 标准化等级 codes.
const (
	GradeOne   Grade = "1" // 一级
	GradeTwo   Grade = "2" // 二级
	GradeThree Grade = "3" // 三级
	GradeSmall Grade = "4" // 小微企业
	GradeNone  Grade = "0" // 未达标/未评审
)

// ParseGrade reads a 标准化等级: 1, 一级, 1级, Ⅰ级, I级, 安全生产标准化二级, 三级企业, 小微, 小微企业, 未达标,
// 未评审, 无 …. Empty text is "" (not known), not GradeNone.
func ParseGrade(s string) (Grade, bool) {
	var buf [64]byte
	k := labelKey(buf[:0], s)
	if len(k) == 0 {
		return "", true
	}
	k = trimPrefix(k, "安全生产")
	k = trimPrefix(k, "标准化")
	k = trimSuffix(k, "企业")
	k = trimSuffix(k, "达标")
	k = trimSuffix(k, "标准化")
	k = trimSuffix(k, "级")
	switch string(k) {
	case "1", "一", "Ⅰ", "I":
		return GradeOne, true
	case "2", "二", "Ⅱ", "II":
		return GradeTwo, true
	case "3", "三", "Ⅲ", "III":
		return GradeThree, true
	case "4", "小微", "小微企业":
		return GradeSmall, true
	case "0", "未", "未评审", "未评", "无", "否", "未定":
		return GradeNone, true
	}
	return Grade(rewrite(s, rulesText)), false
}

// Known reports whether g is one of the five codes.
func (g Grade) Known() bool { return g.Label() != "" }

// Label returns the Chinese label of a known code, else "".
func (g Grade) Label() string {
	switch g {
	case GradeOne:
		return "一级"
	case GradeTwo:
		return "二级"
	case GradeThree:
		return "三级"
	case GradeSmall:
		return "小微企业"
	case GradeNone:
		return "未达标"
	}
	return ""
}

// The 企业状态 codes.
const (
	StatusOperating EnterpriseStatus = "1" // 在营
	StatusSuspended EnterpriseStatus = "2" // 停产
	StatusClosed    EnterpriseStatus = "3" // 关闭
	StatusCancelled EnterpriseStatus = "4" // 注销
)

// ParseEnterpriseStatus reads 企业状态: 1–4, 在营/营业/正常/存续 → 1, 停产/停业/歇业 → 2,
// 关闭/关停 → 3, 注销 → 4.
func ParseEnterpriseStatus(s string) (EnterpriseStatus, bool) {
	var buf [64]byte
	k := trimPrefix(labelKey(buf[:0], s), "已")
	switch string(k) {
	case "1", "在营", "营业", "正常", "存续", "在业", "开业", "正常营业", "正常生产", "在产", "生产":
		return StatusOperating, true
	case "2", "停产", "停业", "歇业", "停产整顿", "停工":
		return StatusSuspended, true
	case "3", "关闭", "关停", "关闭取缔":
		return StatusClosed, true
	case "4", "注销":
		return StatusCancelled, true
	}
	return EnterpriseStatus(rewrite(s, rulesText)), false
}

// Known reports whether s is one of the four codes.
func (s EnterpriseStatus) Known() bool { return s.Label() != "" }

// Label returns the Chinese label of a known code, else "".
func (s EnterpriseStatus) Label() string {
	switch s {
	case StatusOperating:
		return "在营"
	case StatusSuspended:
		return "停产"
	case StatusClosed:
		return "关闭"
	case StatusCancelled:
		return "注销"
	}
	return ""
}

// ParseYesNo reads 是/否, Y/N, yes/no, 1/0, true/false, 有/无, √/× (case-insensitive, any width).
// ok is false for anything else, including empty text: the caller decides what empty means.
func ParseYesNo(s string) (value, ok bool) {
	var buf [64]byte
	switch string(labelKey(buf[:0], s)) {
	case "是", "Y", "YES", "1", "TRUE", "有", "√", "✓", "✔", "T":
		return true, true
	case "否", "N", "NO", "0", "FALSE", "无", "×", "✗", "✘", "F":
		return false, true
	}
	return false, false
}

// YesNoLabel returns 是 or 否.
func YesNoLabel(b bool) string {
	if b {
		return "是"
	}
	return "否"
}

// ParseCertStatus reads a certificate status: the codes (any case), 有效/正常, 过期/失效, 撤销/吊销,
// 注销, 暂扣. An unknown word is returned upper-cased with ok false, so that it is kept as sent.
func ParseCertStatus(s string) (CertStatus, bool) {
	var buf [64]byte
	k := labelKey(buf[:0], s)
	switch string(trimPrefix(k, "已")) {
	case "VALID", "有效", "正常", "在有效期":
		return CertValid, true
	case "EXPIRED", "过期", "失效", "超期", "到期":
		return CertExpired, true
	case "REVOKED", "撤销", "吊销", "撤消":
		return CertRevoked, true
	case "CANCELLED", "CANCELED", "注销":
		return CertCancelled, true
	case "SUSPENDED", "暂扣", "暂停", "扣押":
		return CertSuspended, true
	}
	return CertStatus(string(k)), false
}

// Known reports whether s is one of the five statuses.
func (s CertStatus) Known() bool { return s.Label() != "" }

// Label returns the Chinese label of a known status, else "".
func (s CertStatus) Label() string {
	switch s {
	case CertValid:
		return "有效"
	case CertExpired:
		return "过期"
	case CertRevoked:
		return "撤销"
	case CertCancelled:
		return "注销"
	case CertSuspended:
		return "暂扣"
	}
	return ""
}

// ParseGender reads 1/男/M/male → "1" and 2/女/F/female → "2".
func ParseGender(s string) (string, bool) {
	var buf [64]byte
	switch string(labelKey(buf[:0], s)) {
	case "1", "男", "M", "MALE":
		return "1", true
	case "2", "女", "F", "FEMALE":
		return "2", true
	case "":
		return "", true
	}
	return rewrite(s, rulesText), false
}
