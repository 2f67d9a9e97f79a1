package mapping

import (
	"reflect"
	"testing"
)

func TestNormalizeOperator(t *testing.T) {
	o := Operator{Name: " 王 五", IDNumber: "350522760101123", Phone: "139-0595-1234",
		EnterpriseUSCC: "91350100m000100y43", CategoryCode: "", ItemCode: "低压电工", Remark: " 夜班\u200b "}
	NormalizeOperator(&o, nil)
	want := Operator{Name: "王五", IDNumber: "35052219760101123X", Phone: "13905951234",
		EnterpriseUSCC: sampleUSCC, CategoryCode: "01", ItemCode: "0102", Remark: "夜班"}
	if !reflect.DeepEqual(o, want) {
		t.Errorf("NormalizeOperator:\n got %+v\nwant %+v", o, want)
	}
	again := o
	NormalizeOperator(&again, nil)
	if again != o {
		t.Errorf("not idempotent: %+v", again)
	}

	unknown := Operator{ItemCode: " 叉车 ", CategoryCode: "电工"}
	NormalizeOperator(&unknown, nil)
	if unknown.ItemCode != "叉车" || unknown.CategoryCode != "01" {
		t.Errorf("unknown item: %+v, want it kept cleaned and the category resolved", unknown)
	}
}

func TestNormalizeAlarm(t *testing.T) {
	a := Alarm{ID: " bj1", USCC: "91350100m000100y43", EnterpriseName: "晋江(灵源)鞋业", PointName: "1号除尘器\u3000压差",
		Unit: " Pa ", Value: " 1850.5", Handler: "张 三"}
	NormalizeAlarm(&a)
	want := Alarm{ID: "BJ1", USCC: sampleUSCC, EnterpriseName: "晋江（灵源）鞋业", PointName: "1号除尘器 压差",
		Unit: "Pa", Value: "1850.5", Handler: "张三"}
	if a != want {
		t.Errorf("NormalizeAlarm:\n got %+v\nwant %+v", a, want)
	}
}

func TestRewriteFieldsSharesOneAllocation(t *testing.T) {
	e := Enterprise{USCC: "9135 0100 m000 100y43", Name: "晋江(灵源)鞋业", LegalRep: "张 三", Address: "地址 １号",
		Community: "林格 社区", Industry: "QG", Status: "1"}
	n := testing.AllocsPerRun(100, func() {
		c := e
		NormalizeEnterprise(&c)
	})
	if n != 1 {
		t.Errorf("NormalizeEnterprise of five messy fields: %v allocations, want 1", n)
	}
}
