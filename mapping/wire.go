package mapping

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// The wire shapes of the two platforms, exactly as their contracts describe them. Connectors
// decode into and encode from these; conversions to and from the canonical types live in
// quanzhou.go and specialops.go. The mocks keep their own copies on purpose (they must not share
// a mistake with the client).

// QZEnterprise is a Quanzhou platform enterprise record (quanzhou-platform.md, "Enterprises").
// Strings everywhere: "" for empty optional values, "1"/"0" for booleans.
type QZEnterprise struct {
	Qyid      string     `json:"qyid,omitempty"`
	Tyshxydm  string     `json:"tyshxydm"`
	Qymc      string     `json:"qymc"`
	Fddbr     string     `json:"fddbr"`
	Zyfzr     string     `json:"zyfzr"`
	Zyfzrlxdh string     `json:"zyfzrlxdh"`
	Aqglry    string     `json:"aqglry"`
	Jydz      string     `json:"jydz"`
	Xzqhdm    string     `json:"xzqhdm"`
	Sqmc      string     `json:"sqmc"`
	Hylb      string     `json:"hylb"`
	Zdlx      string     `json:"zdlx"`
	Cyrs      FlexNumber `json:"cyrs"`
	Qyzt      string     `json:"qyzt"`
	Sfczc     string     `json:"sfczc"`
	Bzhdj     string     `json:"bzhdj,omitempty"`
	Bzhyxq    string     `json:"bzhyxq,omitempty"`
	Sfnrjcyj  string     `json:"sfnrjcyj,omitempty"`
	Gxsj      string     `json:"gxsj,omitempty"`
}

// QZAlarm is a Quanzhou risk-monitoring alarm record.
type QZAlarm struct {
	Bjid     string `json:"bjid"`
	Qyid     string `json:"qyid"`
	Tyshxydm string `json:"tyshxydm"`
	Qymc     string `json:"qymc"`
	Jcdbm    string `json:"jcdbm"`
	Jcdmc    string `json:"jcdmc"`
	Jcxm     string `json:"jcxm"`
	Jldw     string `json:"jldw"`
	Bjz      string `json:"bjz"`
	Yz       string `json:"yz"`
	Bjlx     string `json:"bjlx"`
	Bjjb     string `json:"bjjb"`
	Bjsj     string `json:"bjsj"`
	Hfsj     string `json:"hfsj"`
	Czzt     string `json:"czzt"`
	Czsm     string `json:"czsm"`
	Czr      string `json:"czr"`
	Czsj     string `json:"czsj"`
	Gxsj     string `json:"gxsj"`
}

// QZFeedback is the body of POST /risk/alarms/{bjid}/feedback.
type QZFeedback struct {
	Czzt string `json:"czzt"`
	Czsm string `json:"czsm"`
	Czr  string `json:"czr"`
	Czsj string `json:"czsj"`
}

// TZCertificate is a special-operations system certificate record (special-ops.md).
type TZCertificate struct {
	CertNo         string  `json:"certNo"`
	HolderName     string  `json:"holderName"`
	IDNumber       string  `json:"idNumber"`
	Gender         string  `json:"gender"`
	CategoryCode   string  `json:"categoryCode"`
	CategoryName   string  `json:"categoryName"`
	ItemCode       string  `json:"itemCode"`
	ItemName       string  `json:"itemName"`
	FirstIssueDate string  `json:"firstIssueDate"`
	ValidFrom      string  `json:"validFrom"`
	ValidUntil     string  `json:"validUntil"`
	ReviewDueDate  string  `json:"reviewDueDate"`
	LastReviewDate *string `json:"lastReviewDate"` // null when never reviewed
	Status         string  `json:"status"`
	Issuer         string  `json:"issuer"`
	UpdatedAt      string  `json:"updatedAt"`
}

// TZEmployment is the body and answer of PUT /api/v2/employments.
type TZEmployment struct {
	CertNo         string  `json:"certNo"`
	ItemCode       string  `json:"itemCode"`
	IDNumber       string  `json:"idNumber"`
	EnterpriseUSCC string  `json:"enterpriseUscc"`
	EnterpriseName string  `json:"enterpriseName,omitempty"`
	StartDate      string  `json:"startDate"`
	EndDate        *string `json:"endDate"` // null: open-ended
	Status         string  `json:"status,omitempty"`
	UpdatedAt      string  `json:"updatedAt,omitempty"`
}

// FlexNumber accepts a JSON number or a string holding one ("cyrs": "120" on older records) and
// keeps its text. It encodes as a number when it holds one, else as "".
type FlexNumber string

// UnmarshalJSON accepts 120, "120", "" and null.
func (n *FlexNumber) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*n = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*n = FlexNumber(s)
	default:
		var num json.Number
		if err := json.Unmarshal(b, &num); err != nil {
			return fmt.Errorf("cyrs: not a number or string: %s", b)
		}
		*n = FlexNumber(num.String())
	}
	return nil
}

// MarshalJSON writes the number bare when it is one, else as a JSON string.
func (n FlexNumber) MarshalJSON() ([]byte, error) {
	if n == "" {
		return []byte(`""`), nil
	}
	var num json.Number = json.Number(n)
	if _, err := num.Int64(); err == nil {
		return []byte(n), nil
	}
	return json.Marshal(string(n))
}
