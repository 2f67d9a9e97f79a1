package reconcile

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"streetsync/mapping"
	"streetsync/mapping/mask"
)

// Applied is what Apply did and what it left for a person.
type Applied struct {
	Pulled     int `json:"pulled"`     // enterprises whose platform-owned fields were taken from the platform
	Pushed     int `json:"pushed"`     // enterprises whose street-owned fields were pushed
	Registered int `json:"registered"` // employment registrations made
	// HazardsPulled and HazardsPushed count the hazards whose platform side was taken into the
	// ledger, and those the platform accepted from the street (a create or a status change).
	HazardsPulled int         `json:"hazardsPulled"`
	HazardsPushed int         `json:"hazardsPushed"`
	NeedsPerson   []Attention `json:"needsPerson"`
	Failed        []Attention `json:"failed"`
	After         *Report     `json:"-"`
}

// Attention is one thing Apply could not settle, in Chinese for the operator.
type Attention struct {
	Kind   string `json:"kind"` // enterprise | operator | hazard
	Key    string `json:"key"`  // USCC, or a masked roster key
	Reason string `json:"reason"`
}

// Apply makes each side agree with its owner, from what Run (or Enterprise) saw: platform-owned
// fields are pulled into the ledger, street-owned fields pushed from the ledger (a portal edit
// is overwritten: to keep it, change the ledger first), missing employment registrations made.
// Platform-only enterprises are pulled in flagged 待核实 and left for a person to confirm;
// uncertified operators are left for a person.
func (r *Reconciler) Apply(ctx context.Context, snap *Snapshot, fix Fixer) (*Applied, error) {
	if snap == nil || snap.report == nil {
		return nil, errors.New("reconcile: apply needs the snapshot of a run")
	}
	if fix == nil {
		return nil, errors.New("reconcile: apply needs the sync jobs")
	}
	out := &Applied{NeedsPerson: []Attention{}, Failed: []Attention{}}
	rep := snap.report

	if er := rep.Enterprises; er != nil {
		// Pull first: the ledger learns the platform's current values (platform-owned fields,
		// and its view of the street-owned ones) before the push decides.
		var pull []mapping.Enterprise
		for _, d := range er.Different {
			if p := snap.platform[d.USCC]; p != nil {
				pull = append(pull, *p)
			}
		}
		for _, po := range er.OnlyOnPlatform {
			if p := snap.platform[po.USCC]; p != nil && !po.InLedger {
				pull = append(pull, *p)
			}
			out.NeedsPerson = append(out.NeedsPerson, Attention{Kind: "enterprise", Key: po.USCC,
				Reason: fmt.Sprintf("仅在平台：%s 已作为“待核实”记入台账，请核实后在台账中确认（导入该企业或在控制台确认）", po.Name)})
		}
		if len(pull) > 0 {
			if _, err := r.store.RecordPlatformEnterprises(ctx, pull, r.now()); err != nil {
				return nil, fmt.Errorf("reconcile: pull platform-owned fields: %w", err)
			}
			for _, d := range er.Different {
				if hasOwner(d.Fields, "platform") {
					out.Pulled++
				}
			}
		}

		var push []string
		for _, d := range er.Different {
			if hasOwner(d.Fields, "street") {
				push = append(push, d.USCC)
			}
		}
		for _, lo := range er.OnlyInLedger {
			push = append(push, lo.USCC)
		}
		sort.Strings(push)
		if len(push) > 0 {
			n, failed, err := fix.PushEnterprises(ctx, push)
			if err != nil {
				return nil, fmt.Errorf("reconcile: push street-owned fields: %w", err)
			}
			out.Pushed = n
			for _, k := range sortedKeys(failed) {
				out.Failed = append(out.Failed, Attention{Kind: "enterprise", Key: k, Reason: failed[k]})
			}
			// A newly created enterprise gets platform-owned values (grade 0, not monitored)
			// the push does not answer: read them back so the ledger agrees at once.
			if err := r.pullCreated(ctx, er.OnlyInLedger, failed); err != nil {
				return nil, err
			}
		}
	}

	if or := rep.Operators; or != nil {
		if len(or.keys) > 0 {
			n, failed, err := fix.RegisterEmployments(ctx, or.keys)
			if err != nil {
				return nil, fmt.Errorf("reconcile: register employments: %w", err)
			}
			out.Registered = n
			for _, k := range sortedKeys(failed) {
				out.Failed = append(out.Failed, Attention{Kind: "operator", Key: mask.IDsInText(k), Reason: failed[k]})
			}
		}
		if or.Uncertified > 0 {
			out.NeedsPerson = append(out.NeedsPerson, Attention{Kind: "operator", Key: "",
				Reason: fmt.Sprintf("%d 名在岗特种作业人员无有效证书，无法登记用工：请按持证预警督促企业处理", or.Uncertified)})
		}
		if len(or.UnknownItems) > 0 {
			out.NeedsPerson = append(out.NeedsPerson, Attention{Kind: "operator", Key: "",
				Reason: fmt.Sprintf("%d 张证书的操作项目代码不在目录中：请在配置 catalog.items 中补充", len(or.UnknownItems))})
		}
	}
	if hr := rep.Hazards; hr != nil && snap.hazards != nil {
		if err := r.applyHazards(ctx, hr, snap.hazards, fix, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (r *Reconciler) pullCreated(ctx context.Context, created []LedgerOnly, failed map[string]string) error {
	var batch []mapping.Enterprise
	for _, lo := range created {
		if _, bad := failed[lo.USCC]; bad {
			continue
		}
		w, err := r.platform.GetEnterprise(ctx, lo.USCC)
		if err != nil {
			return fmt.Errorf("reconcile: read back created enterprise %s: %w", lo.USCC, err)
		}
		if e, ps := mapping.EnterpriseFromQZ(w); !ps.HasErrors() {
			batch = append(batch, e)
		}
	}
	if len(batch) == 0 {
		return nil
	}
	_, err := r.store.SetPlatformFields(ctx, batch)
	return err
}

func hasOwner(fields []FieldDiff, owner string) bool {
	for _, f := range fields {
		if f.Owner == owner {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
