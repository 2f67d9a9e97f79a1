package config

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// What `config check` shows and points out beyond validation: the effective configuration with
// the credentials some URLs carry masked, and the settings that are valid but unsafe.

// MaskUserinfo masks the user:password@ part of a URL or of an address such as
// "user:pass@host:6379": whatever sits before the last @ of the authority becomes Masked.
func MaskUserinfo(s string) string {
	prefix, rest := "", s
	if i := strings.Index(s, "://"); i >= 0 {
		prefix, rest = s[:i+3], s[i+3:]
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	at := strings.LastIndex(rest[:end], "@")
	if at < 0 {
		return s
	}
	return prefix + Masked + rest[at:]
}

// userinfoSecret is the password of a URL's or address's userinfo (the whole userinfo when it
// has no colon: a token), or "".
func userinfoSecret(s string) string {
	masked := MaskUserinfo(s)
	if masked == s {
		return ""
	}
	rest := s
	if i := strings.Index(s, "://"); i >= 0 {
		rest = s[i+3:]
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	info := rest[:strings.LastIndex(rest[:end], "@")]
	if _, pass, ok := strings.Cut(info, ":"); ok {
		info = pass
	}
	if p, err := url.PathUnescape(info); err == nil {
		info = p
	}
	return info
}

// Display is c as `config check` prints it: secrets print masked by their type; the addresses
// and URLs that are not secrets (redis.addr and redis.addrs, the platforms' base URLs) lose any
// user:password@ they carry.
func (c Config) Display() Config {
	c.Redis.Addr = MaskUserinfo(c.Redis.Addr)
	if len(c.Redis.Addrs) > 0 {
		addrs := make([]string, len(c.Redis.Addrs))
		for i, a := range c.Redis.Addrs {
			addrs[i] = MaskUserinfo(a)
		}
		c.Redis.Addrs = addrs
	}
	c.Quanzhou.BaseURL = MaskUserinfo(c.Quanzhou.BaseURL)
	c.SpecialOps.BaseURL = MaskUserinfo(c.SpecialOps.BaseURL)
	return c
}

// widestTrustedProxy is the widest network console.trustedProxies should name without a
// warning: an IPv4 /16 (65 536 addresses; a proxy is one host or a few), an IPv6 /48 (a site).
const (
	widestTrustedIPv4 = 16
	widestTrustedIPv6 = 48
)

// Warnings are what is valid but unsafe in c, each with the line of its key: a platform reached
// over plain HTTP (its token and the ledger's data cross the network readable and alterable), and
// a trusted-proxy network wider than a /16 (every address in it may claim any client address and
// scheme, and so escape the login throttle and pass for HTTPS).
func (c *Config) Warnings() []Problem {
	v := validator{lines: c.lines}
	for key, raw := range map[string]string{"quanzhou.baseURL": c.Quanzhou.BaseURL, "specialOps.baseURL": c.SpecialOps.BaseURL} {
		if u, err := url.Parse(raw); err == nil && strings.EqualFold(u.Scheme, "http") {
			v.add(key, "平台地址使用明文 HTTP（%s）：访问令牌和台账数据在网络上可被窃听或篡改；请改用 https://", MaskUserinfo(raw))
		}
	}
	for i, p := range c.Console.TrustedProxies {
		pre, ok := parseProxy(p)
		if !ok {
			continue
		}
		bits, widest := pre.Bits(), widestTrustedIPv6
		if a := pre.Addr(); a.Is4() || a.Is4In6() {
			widest = widestTrustedIPv4
			if a.Is4In6() {
				bits -= 96
			}
		}
		if bits < widest {
			v.add(fmt.Sprintf("console.trustedProxies[%d]", i), "受信任的代理网段 %s 过宽（宽于 /%d）：其中任何地址都能伪造客户端地址和 HTTPS，绕过登录限制；请只列出反向代理本身的地址",
				netip.PrefixFrom(pre.Addr(), pre.Bits()), widest)
		}
	}
	sortByLine(v.problems)
	return v.problems
}
