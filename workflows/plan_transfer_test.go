package workflows

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/activities"
)

const (
	partnerX = "3f2e1d0c-9b8a-4765-8432-10fedcba9876"
	partnerY = "0b0c0d0e-1111-4222-8333-444455556666"
	subA     = "aaaaaaaa-0000-4000-8000-000000000001"
	subB     = "bbbbbbbb-0000-4000-8000-000000000002"
	subC     = "cccccccc-0000-4000-8000-000000000003"
)

func owned(sku, pn string, qty int, owner, sub string) csptransfer.OriginalSubscription {
	o := original(sku, pn, qty, exp1)
	o.OwnerTenantID, o.SubscriptionID = owner, sub
	return o
}

// transferInput is a customer with one original sold by partnerX and everything a transfer needs.
func transferInput(originals ...csptransfer.OriginalSubscription) PlanInput {
	return PlanInput{
		Originals:     originals,
		Catalog:       []activities.CatalogFacts{factsE3(offerE3(true))},
		Transfers:     true,
		CustomerEmail: true,
		Country:       "DE",
	}
}

// TestPlanTransfers decides, line by line, between the partner-to-partner transfer and buying.
func TestPlanTransfers(t *testing.T) {
	transferWhy := "sold by CSP partner " + partnerX + ": moves by a partner-to-partner transfer request"
	tests := []struct {
		name string
		give PlanInput
		// want is, per line, method + a fragment of the reason.
		want []string
		// wantSource is the partner the request goes to ("" when nothing transfers).
		wantSource  string
		wantApprove bool
	}{
		{
			name:       "OwnedByAnotherPartnerTransfers",
			give:       transferInput(owned(skuE3, "ENTERPRISEPACK", 10, partnerX, subA)),
			want:       []string{"transfer: " + transferWhy},
			wantSource: partnerX,
		},
		{
			name: "DirectOriginalIsBought",
			give: transferInput(owned(skuE3, "ENTERPRISEPACK", 10, "", subA)),
			want: []string{"buy: bought outside CSP"},
		},
		{
			name: "SameSkuSplitsByOwner",
			give: transferInput(owned(skuE3, "ENTERPRISEPACK", 10, partnerX, subA), owned(skuE3, "ENTERPRISEPACK", 5, "", subB)),
			// The direct original sorts first (empty owner).
			want:       []string{"buy: bought outside CSP", "transfer: " + transferWhy},
			wantSource: partnerX,
		},
		{
			name: "RequestNamesTheSourceOverGraphMajority",
			give: func() PlanInput {
				in := transferInput(owned(skuE3, "ENTERPRISEPACK", 10, partnerX, subA), owned(skuE3, "ENTERPRISEPACK", 3, partnerY, subB), owned(skuE3, "ENTERPRISEPACK", 4, partnerY, subC))
				in.SourcePartner = &csptransfer.SourcePartner{TenantID: strings.ToUpper(partnerX), Name: "Contoso Cloud"}
				return in
			}(),
			// Lines of one SKU and end date sort by owner: partnerY's first.
			want: []string{
				"buy: sold by CSP partner " + partnerY + ", while the transfer request goes to Contoso Cloud (" + partnerX + ")",
				"transfer: sold by CSP partner Contoso Cloud (" + partnerX + ")",
			},
			wantSource: partnerX,
		},
		{
			name: "WithoutRequestTheMostCommonOwnerIsTheSource",
			give: transferInput(owned(skuE3, "ENTERPRISEPACK", 10, partnerX, subA), owned(skuE3, "ENTERPRISEPACK", 3, partnerY, subB), owned(skuE3, "ENTERPRISEPACK", 4, partnerY, subC)),
			want: []string{
				"transfer: sold by CSP partner " + partnerY,
				"buy: sold by CSP partner " + partnerX + ", while the transfer request goes to " + partnerY,
			},
			wantSource: partnerY,
		},
		{
			name: "TieGoesToTheSmallerTenant",
			give: transferInput(owned(skuE3, "ENTERPRISEPACK", 10, partnerX, subA), owned(skuE3, "ENTERPRISEPACK", 3, partnerY, subB)),
			want: []string{
				"transfer: sold by CSP partner " + partnerY,
				"buy: sold by CSP partner " + partnerX + ", while the transfer request goes to " + partnerY,
			},
			wantSource: partnerY,
		},
		{
			name: "FellBackLineIsBought",
			give: func() PlanInput {
				in := transferInput(owned(skuE3, "ENTERPRISEPACK", 10, partnerX, subA))
				in.BuyInstead = map[string]string{strings.ToLower(skuE3) + "|" + exp1.Format("2006-01-02T15:04:05Z07:00") + "|" + partnerX: "the transfer request expired"}
				return in
			}(),
			want: []string{"buy: the transfer request expired"},
		},
		{
			name: "PastEndIsBought",
			give: func() PlanInput {
				o := owned(skuE3, "ENTERPRISEPACK", 10, partnerX, subA)
				o.PastEnd = true
				return transferInput(o)
			}(),
			want: []string{"buy: sold by the source partner but already past its end date"},
		},
		{
			name: "OverrideIsBought",
			give: func() PlanInput {
				in := transferInput(owned(skuE3, "ENTERPRISEPACK", 10, partnerX, subA))
				in.Overrides = map[string]string{"ENTERPRISEPACK": succE5.CatalogItemID}
				in.Catalog = []activities.CatalogFacts{factsE3(offerE3(true), succE5)}
				return in
			}(),
			want:        []string{`buy: operator override "ENTERPRISEPACK" chooses the offer to buy`},
			wantApprove: true,
		},
		{
			name: "DiscontinuedOfferIsBought",
			give: func() PlanInput {
				in := transferInput(owned(skuE3, "ENTERPRISEPACK", 10, partnerX, subA))
				in.Catalog = []activities.CatalogFacts{factsE3(offerE3(false), succE5)}
				return in
			}(),
			want:        []string{"buy: sold by the source partner, but this offer is not on sale in new commerce for DE"},
			wantApprove: true,
		},
		{
			name: "NoCatalogFactsIsBought",
			give: func() PlanInput {
				in := transferInput(owned(skuE3, "ENTERPRISEPACK", 10, partnerX, subA))
				in.Catalog = nil
				return in
			}(),
			want:        []string{"buy: sold by the source partner, but this offer is not on sale"},
			wantApprove: true,
		},
		{
			name: "NoCustomerEmailIsBoughtAndNeedsApproval",
			give: func() PlanInput {
				in := transferInput(owned(skuE3, "ENTERPRISEPACK", 10, partnerX, subA))
				in.CustomerEmail = false
				return in
			}(),
			want:        []string{"buy: a partner-to-partner transfer would avoid paying twice"},
			wantApprove: true,
		},
		{
			name: "AlwaysPolicyApprovesTransfersToo",
			give: func() PlanInput {
				in := transferInput(owned(skuE3, "ENTERPRISEPACK", 10, partnerX, subA))
				in.Approval = csptransfer.ApprovalAlways
				return in
			}(),
			want:        []string{"transfer: " + transferWhy},
			wantSource:  partnerX,
			wantApprove: true,
		},
		{
			name: "AtMost25SubscriptionsPerRequest",
			give: func() PlanInput {
				var originals []csptransfer.OriginalSubscription
				for i := range 26 {
					o := owned(skuE3, "ENTERPRISEPACK", 1, partnerX, fmt.Sprintf("aaaaaaaa-0000-4000-8000-%012d", i))
					o.ExpiresAt = exp1.AddDate(0, 0, i)
					originals = append(originals, o)
				}
				return transferInput(originals...)
			}(),
			want: func() []string {
				var w []string
				for range 25 {
					w = append(w, "transfer: "+transferWhy)
				}
				return append(w, "buy: one transfer request takes at most 25 subscriptions")
			}(),
			wantSource: partnerX,
		},
		{
			name: "TransfersOffKeepsLegacyPlans",
			give: func() PlanInput {
				in := transferInput(owned(skuE3, "ENTERPRISEPACK", 10, partnerX, subA), owned(skuE3, "ENTERPRISEPACK", 5, "", subB))
				in.Transfers = false
				return in
			}(),
			// One pooled line with no method, exactly as before transfers existed.
			want: []string{": "},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Plan(tt.give)
			require.NoError(t, err)
			require.Len(t, res.Lines, len(tt.want))
			for i, l := range res.Lines {
				require.Contains(t, string(l.Method)+": "+l.MethodReason, tt.want[i], "line %d", i)
				if l.Transfers() {
					require.True(t, l.SameOffer)
					require.False(t, l.ReassignmentNeeded)
					require.False(t, l.Unresolved)
					require.Equal(t, "CFQ7TTC0LFLX:0001:CFQ7TTC0AAAA", l.TargetCatalogItemID, "a transfer line names the offer it verifies and falls back to")
				}
				if tt.give.Transfers {
					require.NotEmpty(t, l.MethodReason, "every line says why it moves the way it does")
				} else {
					require.Empty(t, l.Method, "plans made before transfers existed name no method")
					require.Empty(t, l.SourcePartnerTenantID)
				}
			}
			require.Equal(t, tt.wantSource, res.SourcePartnerTenantID)
			require.Equal(t, tt.wantApprove, res.NeedsApproval)
		})
	}
}

// TestPlanTransferLineKeepsSubscriptionIDs: the line names the originals the source partner is asked for.
func TestPlanTransferLineKeepsSubscriptionIDs(t *testing.T) {
	res, err := Plan(transferInput(owned(skuE3, "ENTERPRISEPACK", 10, partnerX, subB), owned(skuE3, "ENTERPRISEPACK", 5, partnerX, subA)))
	require.NoError(t, err)
	require.Len(t, res.Lines, 1)
	l := res.Lines[0]
	require.Equal(t, []string{subA, subB}, l.SourceSubscriptionIDs)
	require.Equal(t, 15, l.Quantity)
	require.Equal(t, partnerX, l.SourcePartnerTenantID)
	require.Equal(t, []string{"2 originals of this SKU ending on the same date are pooled into 15 seats"}, l.Notes)
}
