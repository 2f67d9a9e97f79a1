package rules

import (
	"fmt"
	"strings"
	"time"

	"streetsync/mapping"
	"streetsync/mapping/mask"
)

// What the rules' sentences share. Each rule's own sentence is in its file.

var certStatusNames = map[mapping.CertStatus]string{
	mapping.CertValid:     "有效",
	mapping.CertExpired:   "过期",
	mapping.CertRevoked:   "撤销",
	mapping.CertCancelled: "注销",
	mapping.CertSuspended: "暂扣",
}

// certStatusName is a certificate status in Chinese.
func certStatusName(s mapping.CertStatus) string {
	if n, ok := certStatusNames[s]; ok {
		return n
	}
	if s == "" {
		return "未知"
	}
	return string(s)
}

// person is "张三（350582********123X）".
func person(name, idNumber string) string {
	return name + "（" + mask.ID(idNumber) + "）"
}

// maskedCertNo is a certificate's number as alerts show it.
func maskedCertNo(c *mapping.Certificate) string { return mask.CertNo(c.CertNo) }

// heldItems names the items of certs, each once: 熔化焊接与热切割作业、登高架设作业.
func heldItems(certs []mapping.Certificate) string {
	var names []string
	seen := map[string]bool{}
	for i := range certs {
		n := certs[i].ItemName
		if n == "" {
			n = certs[i].ItemCode
		}
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	return strings.Join(names, "、")
}

// chineseDuration writes 2h as "2 小时", 90m as "90 分钟", 72h as "3 天".
func chineseDuration(d time.Duration) string {
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return fmt.Sprintf("%d 天", d/(24*time.Hour))
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%d 小时", d/time.Hour)
	default:
		return fmt.Sprintf("%d 分钟", d/time.Minute)
	}
}

// statusLabel is a hazard's status in Chinese (待整改 when none is recorded).
func statusLabel(h *mapping.Hazard) string {
	if h.Status == "" {
		return mapping.HazardPending.Label()
	}
	return h.Status.Label()
}

// daysBetween counts the days from a to b (negative when b is before a).
func daysBetween(a, b mapping.Date) int {
	return int(dateTime(b).Sub(dateTime(a)) / (24 * time.Hour))
}
