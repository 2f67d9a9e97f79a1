package specialops

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"streetsync/mapping"
	"streetsync/mapping/mask"
)

// PutEmployment is PUT /api/v2/employments: it registers (or updates, or ends) the registration
// identified by (certNo, itemCode, enterpriseUscc) and returns it as the system stored it;
// created reports 201. It is idempotent. Refusals are permanent: ErrCertificateNotFound (404),
// ErrHolderMismatch and ErrCertificateNotValid (409), ErrValidation (422, with APIError.Fields).
func (c *Client) PutEmployment(ctx context.Context, e mapping.TZEmployment) (stored mapping.TZEmployment, created bool, err error) {
	body, err := json.Marshal(e)
	if err != nil {
		return stored, false, fmt.Errorf("specialops: encode employment: %w", err)
	}
	cl := &call{method: http.MethodPut, endpoint: "/api/v2/employments", path: "/api/v2/employments", jsonBody: body,
		key: mask.CertNo(e.CertNo) + "/" + e.ItemCode + "/" + e.EnterpriseUSCC, idempotent: true}
	if err := c.do(ctx, cl, &stored); err != nil {
		return mapping.TZEmployment{}, false, err
	}
	return stored, cl.status == http.StatusCreated, nil
}

// RegisterEmployment is PutEmployment for a canonical registration (mapping.EmploymentToTZ and
// back with mapping.EmploymentFromTZ; the answer's problems, if any, are returned with it).
func (c *Client) RegisterEmployment(ctx context.Context, e mapping.Employment) (mapping.Employment, mapping.Problems, bool, error) {
	stored, created, err := c.PutEmployment(ctx, mapping.EmploymentToTZ(&e))
	if err != nil {
		return mapping.Employment{}, nil, false, err
	}
	got, ps := mapping.EmploymentFromTZ(stored)
	return got, ps, created, nil
}
