package workflows

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/activities"
)

const (
	skuE3   = "6fd2c87f-b296-42f0-b197-1e91e994b900" // Office 365 E3
	skuE5   = "06ebc4ee-1bb5-47dd-8120-11324bc54e06" // Microsoft 365 E5
	skuBP   = "f245ecc8-75af-4f8e-b61f-27d8114de5f3" // Microsoft 365 Business Standard
	skuE3NT = "dcf0408c-aaec-446c-afd4-43e3683943ea" // Microsoft 365 E3 (no Teams)
)

var (
	exp1 = time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC)
	exp2 = time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC)
	exp3 = time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC)

	e3Plans = []string{"EXCHANGE_S_ENTERPRISE", "SHAREPOINTENTERPRISE", "MCOSTANDARD", "TEAMS1"}
)

func offerE3(purchasable bool) *activities.CatalogOffer {
	return &activities.CatalogOffer{
		CatalogItemID: "CFQ7TTC0LFLX:0001:CFQ7TTC0AAAA", SkuID: skuE3, Title: "Office 365 E3",
		Purchasable: purchasable, MinQuantity: 1, MaxQuantity: 300, ServicePlans: e3Plans,
	}
}

func factsE3(same *activities.CatalogOffer, successors ...activities.CatalogOffer) activities.CatalogFacts {
	return activities.CatalogFacts{
		SourceSkuID: skuE3, SourceSkuPartNumber: "ENTERPRISEPACK", SourceServicePlans: e3Plans,
		Country: "DE", SameSku: same, Successors: successors,
	}
}

// successor E3 (no Teams): lacks TEAMS1.
var succNoTeams = activities.CatalogOffer{
	CatalogItemID: "CFQ7TTC0LHSF:0002", SkuID: skuE3NT, Title: "Microsoft 365 E3 (no Teams)", Purchasable: true,
	MinQuantity: 1, MaxQuantity: 300,
	ServicePlans: []string{"exchange_s_enterprise", "SHAREPOINTENTERPRISE", "MCOSTANDARD", "INTUNE_A"},
}

// successor E5: covers everything.
var succE5 = activities.CatalogOffer{
	CatalogItemID: "CFQ7TTC0LFLZ:0002", SkuID: skuE5, Title: "Office 365 E5", Purchasable: true,
	ServicePlans: append([]string{"PHONESYSTEM"}, e3Plans...),
}

func original(sku, pn string, qty int, exp time.Time) csptransfer.OriginalSubscription {
	return csptransfer.OriginalSubscription{SkuID: sku, SkuPartNumber: pn, Quantity: qty, ExpiresAt: exp}
}

func sameE3Line(qty int, exp time.Time, notes ...string) csptransfer.PlanLine {
	return csptransfer.PlanLine{
		SourceSkuID: skuE3, SourceSkuPartNumber: "ENTERPRISEPACK",
		TargetCatalogItemID: "CFQ7TTC0LFLX:0001:CFQ7TTC0AAAA", TargetSkuID: skuE3, TargetTitle: "Office 365 E3",
		Quantity: qty, SameOffer: true, OriginalExpiresAt: exp, Notes: notes,
	}
}

func TestPlan(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	const (
		noTeamsChosen = "the original offer can no longer be bought: successor CFQ7TTC0LHSF:0002 (Microsoft 365 E3 (no Teams)) chosen (covers 3 of the original's 4 service plans)"
		e5Chosen      = "the original offer can no longer be bought: successor CFQ7TTC0LFLZ:0002 (Office 365 E5) chosen (covers 4 of the original's 4 service plans)"
		teamsLoss     = "data-loss risk: the target lacks service plans TEAMS1; back up their data before the original expires"
		allPlans      = "the target includes every service plan of the original"
	)
	noTeamsLine := func(qty int, exp time.Time, notes ...string) csptransfer.PlanLine {
		return csptransfer.PlanLine{
			SourceSkuID: skuE3, SourceSkuPartNumber: "ENTERPRISEPACK",
			TargetCatalogItemID: "CFQ7TTC0LHSF:0002", TargetSkuID: skuE3NT, TargetTitle: "Microsoft 365 E3 (no Teams)",
			Quantity: qty, ReassignmentNeeded: true, OriginalExpiresAt: exp, Notes: notes,
		}
	}
	unresolvedE3 := func(qty int, exp time.Time, notes ...string) csptransfer.PlanLine {
		return csptransfer.PlanLine{SourceSkuID: skuE3, SourceSkuPartNumber: "ENTERPRISEPACK", Quantity: qty, OriginalExpiresAt: exp,
			Unresolved: true, Notes: notes}
	}

	tests := []struct {
		name string
		give PlanInput
		want PlanResult
	}{
		{
			name: "SameOfferSameSeats",
			give: PlanInput{
				Originals: []csptransfer.OriginalSubscription{original(skuE3, "ENTERPRISEPACK", 25, exp1)},
				Catalog:   []activities.CatalogFacts{factsE3(offerE3(true))},
			},
			want: PlanResult{Lines: []csptransfer.PlanLine{sameE3Line(25, exp1)}, Ready: true},
		},
		{
			name: "EmptyPlanIsReady",
			give: PlanInput{},
			want: PlanResult{Lines: []csptransfer.PlanLine{}, Ready: true},
		},
		{
			name: "PoolsSameSkuSameExpiryAcrossZones",
			give: PlanInput{
				Originals: []csptransfer.OriginalSubscription{
					original(skuE3, "ENTERPRISEPACK", 10, exp1),
					original(strings.ToUpper(skuE3), "", 15, exp1.In(cet)),
				},
				Catalog: []activities.CatalogFacts{factsE3(offerE3(true))},
			},
			want: PlanResult{Lines: []csptransfer.PlanLine{
				sameE3Line(25, exp1, "2 originals of this SKU ending on the same date are pooled into 25 seats"),
			}, Ready: true},
		},
		{
			name: "KeepsOneLinePerExpiry",
			give: PlanInput{
				Originals: []csptransfer.OriginalSubscription{
					original(skuE3, "ENTERPRISEPACK", 10, exp2),
					original(skuE3, "ENTERPRISEPACK", 15, exp1),
				},
				Catalog: []activities.CatalogFacts{factsE3(offerE3(true))},
			},
			want: PlanResult{Lines: []csptransfer.PlanLine{sameE3Line(15, exp1), sameE3Line(10, exp2)}, Ready: true},
		},
		{
			name: "ResolvesPartNumberOnlyThroughFacts",
			give: PlanInput{
				Originals: []csptransfer.OriginalSubscription{original("", "enterprisepack", 5, exp1), original(skuE3, "", 5, exp1)},
				Catalog:   []activities.CatalogFacts{factsE3(offerE3(true))},
			},
			want: PlanResult{Lines: []csptransfer.PlanLine{func() csptransfer.PlanLine {
				l := sameE3Line(10, exp1, "2 originals of this SKU ending on the same date are pooled into 10 seats")
				l.SourceSkuPartNumber = "enterprisepack"
				return l
			}()}, Ready: true},
		},
		{
			name: "DiscontinuedChoosesSuccessorCoveringMostPlans",
			give: PlanInput{
				Originals: []csptransfer.OriginalSubscription{original(skuE3, "ENTERPRISEPACK", 25, exp1)},
				Catalog: []activities.CatalogFacts{factsE3(offerE3(false), succNoTeams, succE5,
					activities.CatalogOffer{CatalogItemID: "CFQ7TTC0AAAA:0001", Title: "Retired E5", ServicePlans: succE5.ServicePlans})},
			},
			want: PlanResult{Lines: []csptransfer.PlanLine{{
				SourceSkuID: skuE3, SourceSkuPartNumber: "ENTERPRISEPACK",
				TargetCatalogItemID: "CFQ7TTC0LFLZ:0002", TargetSkuID: skuE5, TargetTitle: "Office 365 E5",
				Quantity: 25, ReassignmentNeeded: true, OriginalExpiresAt: exp1,
				Notes: []string{
					e5Chosen,
					"other purchasable successors: CFQ7TTC0LHSF:0002 (Microsoft 365 E3 (no Teams)); choose one instead with set-offer-mapping",
					allPlans,
				},
			}}, NeedsApproval: true, Ready: true},
		},
		{
			name: "DiscontinuedStatesDataLossRisk",
			give: PlanInput{
				Originals: []csptransfer.OriginalSubscription{original(skuE3, "ENTERPRISEPACK", 25, exp1)},
				Catalog:   []activities.CatalogFacts{factsE3(offerE3(false), succNoTeams)},
			},
			want: PlanResult{Lines: []csptransfer.PlanLine{noTeamsLine(25, exp1, noTeamsChosen, teamsLoss)}, NeedsApproval: true, Ready: true},
		},
		{
			name: "SuccessorTieGoesToSmallestCatalogItemID",
			give: PlanInput{
				Originals: []csptransfer.OriginalSubscription{original(skuE3, "ENTERPRISEPACK", 25, exp1)},
				Catalog: []activities.CatalogFacts{factsE3(offerE3(false),
					activities.CatalogOffer{CatalogItemID: "ZZZ:0001", SkuID: skuE5, Purchasable: true, ServicePlans: e3Plans},
					activities.CatalogOffer{CatalogItemID: "AAA:0001", SkuID: skuBP, Purchasable: true, ServicePlans: e3Plans},
				)},
			},
			want: PlanResult{Lines: []csptransfer.PlanLine{{
				SourceSkuID: skuE3, SourceSkuPartNumber: "ENTERPRISEPACK",
				TargetCatalogItemID: "AAA:0001", TargetSkuID: skuBP,
				Quantity: 25, ReassignmentNeeded: true, OriginalExpiresAt: exp1,
				Notes: []string{
					"the original offer can no longer be bought: successor AAA:0001 chosen (covers 4 of the original's 4 service plans)",
					"other purchasable successors: ZZZ:0001; choose one instead with set-offer-mapping",
					allPlans,
				},
			}}, NeedsApproval: true, Ready: true},
		},
		{
			name: "SuccessorOfSameGraphSkuKeepsSeatsPooled",
			give: PlanInput{
				Originals: []csptransfer.OriginalSubscription{original(skuE3, "ENTERPRISEPACK", 25, exp1)},
				Catalog: []activities.CatalogFacts{factsE3(offerE3(false),
					activities.CatalogOffer{CatalogItemID: "NCE:0001", SkuID: strings.ToUpper(skuE3), Title: "Office 365 E3 (NCE)", Purchasable: true, ServicePlans: e3Plans})},
			},
			want: PlanResult{Lines: []csptransfer.PlanLine{{
				SourceSkuID: skuE3, SourceSkuPartNumber: "ENTERPRISEPACK",
				TargetCatalogItemID: "NCE:0001", TargetSkuID: skuE3, TargetTitle: "Office 365 E3 (NCE)",
				Quantity: 25, SameOffer: true, OriginalExpiresAt: exp1,
				Notes: []string{"the original offer can no longer be bought: successor NCE:0001 (Office 365 E3 (NCE)) chosen (covers 4 of the original's 4 service plans)"},
			}}, Ready: true},
		},
		{
			name: "UnknownSourcePlansNotAssessed",
			give: PlanInput{
				Originals: []csptransfer.OriginalSubscription{original(skuE3, "ENTERPRISEPACK", 25, exp1)},
				Catalog: []activities.CatalogFacts{func() activities.CatalogFacts {
					f := factsE3(offerE3(false), succNoTeams)
					f.SourceServicePlans = nil
					return f
				}()},
			},
			want: PlanResult{Lines: []csptransfer.PlanLine{noTeamsLine(25, exp1,
				"the original offer can no longer be bought: successor CFQ7TTC0LHSF:0002 (Microsoft 365 E3 (no Teams)) chosen",
				"the original's service plans are unknown: the data-loss risk is not assessed; compare the offers before approving",
			)}, NeedsApproval: true, Ready: true},
		},
		{
			name: "UnknownTargetPlansNotAssessed",
			give: PlanInput{
				Originals: []csptransfer.OriginalSubscription{original(skuE3, "ENTERPRISEPACK", 25, exp1)},
				Catalog: []activities.CatalogFacts{factsE3(offerE3(false),
					activities.CatalogOffer{CatalogItemID: "X:1", SkuID: skuBP, Purchasable: true})},
			},
			want: PlanResult{Lines: []csptransfer.PlanLine{{
				SourceSkuID: skuE3, SourceSkuPartNumber: "ENTERPRISEPACK",
				TargetCatalogItemID: "X:1", TargetSkuID: skuBP, Quantity: 25, ReassignmentNeeded: true, OriginalExpiresAt: exp1,
				Notes: []string{
					"the original offer can no longer be bought: successor X:1 chosen",
					"the target's service plans are unknown: the data-loss risk is not assessed; compare the offers before approving",
				},
			}}, NeedsApproval: true, Ready: true},
		},
		{
			name: "UnresolvedWhenNoSuccessorIsPurchasable",
			give: PlanInput{
				Originals: []csptransfer.OriginalSubscription{original(skuE3, "ENTERPRISEPACK", 25, exp1)},
				Catalog: []activities.CatalogFacts{factsE3(offerE3(false),
					activities.CatalogOffer{CatalogItemID: "B:1", Title: "Old B"},
					activities.CatalogOffer{CatalogItemID: "A:1", Title: "Old A"},
					activities.CatalogOffer{CatalogItemID: "malformed", Purchasable: true})},
			},
			want: PlanResult{Lines: []csptransfer.PlanLine{unresolvedE3(25, exp1,
				"the original offer can no longer be bought and no purchasable successor is known: choose one with set-offer-mapping; "+
					"known successors: A:1 (Old A) [not purchasable], B:1 (Old B) [not purchasable], malformed")},
				NeedsApproval: true},
		},
		{
			name: "UnresolvedWhenNoSuccessorIsKnown",
			give: PlanInput{
				Originals: []csptransfer.OriginalSubscription{original(skuE3, "ENTERPRISEPACK", 25, exp1)},
				Catalog:   []activities.CatalogFacts{factsE3(offerE3(false))},
			},
			want: PlanResult{Lines: []csptransfer.PlanLine{unresolvedE3(25, exp1,
				"the original offer can no longer be bought and no purchasable successor is known: choose one with set-offer-mapping")},
				NeedsApproval: true},
		},
		{
			name: "UnresolvedWhenNotSoldInCountry",
			give: PlanInput{
				Originals: []csptransfer.OriginalSubscription{original(skuE3, "ENTERPRISEPACK", 25, exp1)},
				Catalog:   []activities.CatalogFacts{factsE3(nil, succE5)},
				Country:   "CH",
			},
			want: PlanResult{Lines: []csptransfer.PlanLine{unresolvedE3(25, exp1,
				"this SKU is not sold in the catalog for CH: choose an offer available there with set-offer-mapping; known successors: CFQ7TTC0LFLZ:0002 (Office 365 E5)")},
				NeedsApproval: true},
		},
		{
			name: "UnresolvedWhenNotSoldAndCountryUnknown",
			give: PlanInput{
				Originals: []csptransfer.OriginalSubscription{original(skuE3, "ENTERPRISEPACK", 25, exp1)},
				Catalog:   []activities.CatalogFacts{factsE3(nil)},
			},
			want: PlanResult{Lines: []csptransfer.PlanLine{unresolvedE3(25, exp1,
				"this SKU is not sold in the catalog for the customer's country: choose an offer available there with set-offer-mapping")},
				NeedsApproval: true},
		},
		{
			name: "UnresolvedWhenSameSkuHasNoCatalogItemID",
			give: PlanInput{
				Originals: []csptransfer.OriginalSubscription{original(skuE3, "ENTERPRISEPACK", 25, exp1)},
				Catalog: []activities.CatalogFacts{factsE3(func() *activities.CatalogOffer {
					o := offerE3(true)
					o.CatalogItemID = ""
					return o
				}())},
			},
			want: PlanResult{Lines: []csptransfer.PlanLine{unresolvedE3(25, exp1,
				`the catalog sells this SKU but gave no usable catalog item id (""): choose the offer with set-offer-mapping`)},
				NeedsApproval: true},
		},
		{
			name: "UnresolvedWithoutCatalogFacts",
			give: PlanInput{Originals: []csptransfer.OriginalSubscription{original("", "Microsoft_365_Copilot", 3, exp1)}},
			want: PlanResult{Lines: []csptransfer.PlanLine{{
				SourceSkuPartNumber: "Microsoft_365_Copilot", Quantity: 3, OriginalExpiresAt: exp1, Unresolved: true,
				Notes: []string{"no catalog facts are known for this SKU: choose the offer to buy with set-offer-mapping"},
			}}, NeedsApproval: true},
		},
		{
			name: "OverrideByPartNumberWinsOverSameOffer",
			give: PlanInput{
				Originals: []csptransfer.OriginalSubscription{original(skuE3, "ENTERPRISEPACK", 25, exp1)},
				Catalog:   []activities.CatalogFacts{factsE3(offerE3(true), succNoTeams)},
				Overrides: map[string]string{"EnterprisePack": "cfq7ttc0lhsf:0002:CFQ7TTC0BBBB"},
			},
			want: PlanResult{Lines: []csptransfer.PlanLine{func() csptransfer.PlanLine {
				l := noTeamsLine(25, exp1,
					`operator override "EnterprisePack" chooses cfq7ttc0lhsf:0002:CFQ7TTC0BBBB (Microsoft 365 E3 (no Teams))`,
					"the same offer CFQ7TTC0LFLX:0001:CFQ7TTC0AAAA (Office 365 E3) is still purchasable; the override replaces it",
					teamsLoss)
				l.TargetCatalogItemID = "cfq7ttc0lhsf:0002:CFQ7TTC0BBBB"
				return l
			}()}, NeedsApproval: true, Ready: true},
		},
		{
			name: "OverrideBySkuIDBeatsPartNumberKey",
			give: PlanInput{
				Originals: []csptransfer.OriginalSubscription{original(skuE3, "ENTERPRISEPACK", 25, exp1)},
				Catalog:   []activities.CatalogFacts{factsE3(offerE3(false), succNoTeams, succE5)},
				Overrides: map[string]string{"ENTERPRISEPACK": "CFQ7TTC0LFLZ:0002", strings.ToUpper(skuE3): "CFQ7TTC0LHSF:0002"},
			},
			want: PlanResult{Lines: []csptransfer.PlanLine{noTeamsLine(25, exp1,
				fmt.Sprintf(`operator override %q chooses CFQ7TTC0LHSF:0002 (Microsoft 365 E3 (no Teams))`, strings.ToUpper(skuE3)),
				teamsLoss)}, NeedsApproval: true, Ready: true},
		},
		{
			name: "OverrideResolvesLineWithoutFacts",
			give: PlanInput{
				Originals: []csptransfer.OriginalSubscription{original("", "Microsoft_365_Copilot", 3, exp1)},
				Overrides: map[string]string{"MICROSOFT_365_COPILOT": "CFQ7TTC0MM8R:0002"},
			},
			want: PlanResult{Lines: []csptransfer.PlanLine{{
				SourceSkuPartNumber: "Microsoft_365_Copilot", TargetCatalogItemID: "CFQ7TTC0MM8R:0002",
				Quantity: 3, ReassignmentNeeded: true, OriginalExpiresAt: exp1,
				Notes: []string{
					`operator override "MICROSOFT_365_COPILOT" chooses CFQ7TTC0MM8R:0002`,
					"the target is not in the catalog facts: its Graph skuId, quantity limits and service plans are unknown, so the data-loss risk is not assessed",
				},
			}}, NeedsApproval: true, Ready: true},
		},
		{
			name: "OverrideToSameSkuIsSameOffer",
			give: PlanInput{
				Originals: []csptransfer.OriginalSubscription{original(skuE3, "ENTERPRISEPACK", 25, exp1)},
				Catalog:   []activities.CatalogFacts{factsE3(offerE3(true))},
				Overrides: map[string]string{"ENTERPRISEPACK": "CFQ7TTC0LFLX:0001"},
			},
			want: PlanResult{Lines: []csptransfer.PlanLine{func() csptransfer.PlanLine {
				l := sameE3Line(25, exp1, `operator override "ENTERPRISEPACK" chooses CFQ7TTC0LFLX:0001 (Office 365 E3)`)
				l.TargetCatalogItemID = "CFQ7TTC0LFLX:0001"
				return l
			}()}, Ready: true},
		},
		{
			name: "OverrideToTargetOutsideFacts",
			give: PlanInput{
				Originals: []csptransfer.OriginalSubscription{original(skuE3, "ENTERPRISEPACK", 25, exp1)},
				Catalog:   []activities.CatalogFacts{factsE3(offerE3(false))},
				Overrides: map[string]string{skuE3: "DZH318Z0BQ3Q:0001"},
			},
			want: PlanResult{Lines: []csptransfer.PlanLine{{
				SourceSkuID: skuE3, SourceSkuPartNumber: "ENTERPRISEPACK", TargetCatalogItemID: "DZH318Z0BQ3Q:0001",
				Quantity: 25, ReassignmentNeeded: true, OriginalExpiresAt: exp1,
				Notes: []string{
					fmt.Sprintf(`operator override %q chooses DZH318Z0BQ3Q:0001`, skuE3),
					"the target is not in the catalog facts: its Graph skuId, quantity limits and service plans are unknown, so the data-loss risk is not assessed",
				},
			}}, NeedsApproval: true, Ready: true},
		},
		{
			name: "OverrideUsesOverrideTargetFacts",
			give: PlanInput{
				Originals:       []csptransfer.OriginalSubscription{original("", "O365_BUSINESS_PREMIUM", 8, exp1)},
				Overrides:       map[string]string{"o365_business_premium": "CFQ7TTC0LCHC:0002"},
				OverrideTargets: []activities.CatalogOffer{{CatalogItemID: "CFQ7TTC0LCHC:0002:XYZ", SkuID: strings.ToUpper(skuBP), Title: "Microsoft 365 Business Standard", Purchasable: true, MaxQuantity: 300}},
			},
			want: PlanResult{Lines: []csptransfer.PlanLine{{
				SourceSkuPartNumber: "O365_BUSINESS_PREMIUM", TargetCatalogItemID: "CFQ7TTC0LCHC:0002", TargetSkuID: skuBP,
				TargetTitle: "Microsoft 365 Business Standard", Quantity: 8, ReassignmentNeeded: true, OriginalExpiresAt: exp1,
				Notes: []string{
					`operator override "o365_business_premium" chooses CFQ7TTC0LCHC:0002 (Microsoft 365 Business Standard)`,
					"the original's service plans are unknown: the data-loss risk is not assessed; compare the offers before approving",
				},
			}}, NeedsApproval: true, Ready: true},
		},
		{
			name: "OverrideResolvesSkuNotSoldInCountry",
			give: PlanInput{
				Originals: []csptransfer.OriginalSubscription{original(skuE3, "ENTERPRISEPACK", 25, exp1)},
				Catalog:   []activities.CatalogFacts{factsE3(nil, succE5)},
				Overrides: map[string]string{"ENTERPRISEPACK": succE5.CatalogItemID},
			},
			want: PlanResult{Lines: []csptransfer.PlanLine{{
				SourceSkuID: skuE3, SourceSkuPartNumber: "ENTERPRISEPACK",
				TargetCatalogItemID: "CFQ7TTC0LFLZ:0002", TargetSkuID: skuE5, TargetTitle: "Office 365 E5",
				Quantity: 25, ReassignmentNeeded: true, OriginalExpiresAt: exp1,
				Notes: []string{`operator override "ENTERPRISEPACK" chooses CFQ7TTC0LFLZ:0002 (Office 365 E5)`, allPlans},
			}}, NeedsApproval: true, Ready: true},
		},
		{
			name: "UnresolvedWhenOverrideIsMalformed",
			give: PlanInput{
				Originals: []csptransfer.OriginalSubscription{original(skuE3, "ENTERPRISEPACK", 25, exp1)},
				Catalog:   []activities.CatalogFacts{factsE3(offerE3(true))},
				Overrides: map[string]string{"ENTERPRISEPACK": "Office 365 E5"},
			},
			want: PlanResult{Lines: []csptransfer.PlanLine{unresolvedE3(25, exp1,
				`operator override "ENTERPRISEPACK": "Office 365 E5" is not a catalog item id (productId:skuId[:availabilityId]): correct it with set-offer-mapping`)},
				NeedsApproval: true},
		},
		{
			name: "UnresolvedWhenOverrideTargetIsNotPurchasable",
			give: PlanInput{
				Originals: []csptransfer.OriginalSubscription{original(skuE3, "ENTERPRISEPACK", 25, exp1)},
				Catalog:   []activities.CatalogFacts{factsE3(offerE3(false))},
				Overrides: map[string]string{"ENTERPRISEPACK": "CFQ7TTC0LFLX:0001"},
			},
			want: PlanResult{Lines: []csptransfer.PlanLine{func() csptransfer.PlanLine {
				l := unresolvedE3(25, exp1,
					`operator override "ENTERPRISEPACK" chooses CFQ7TTC0LFLX:0001 (Office 365 E3)`,
					"the override's target cannot be bought now: choose another with set-offer-mapping")
				l.TargetCatalogItemID, l.TargetSkuID, l.TargetTitle = "CFQ7TTC0LFLX:0001", skuE3, "Office 365 E3"
				return l
			}()}, NeedsApproval: true},
		},
		{
			name: "UnresolvedWhenQuantityBelowMinimum",
			give: PlanInput{
				Originals: []csptransfer.OriginalSubscription{original(skuE3, "ENTERPRISEPACK", 3, exp1)},
				Catalog: []activities.CatalogFacts{factsE3(func() *activities.CatalogOffer {
					o := offerE3(true)
					o.MinQuantity = 5
					return o
				}())},
			},
			want: PlanResult{Lines: []csptransfer.PlanLine{func() csptransfer.PlanLine {
				l := sameE3Line(3, exp1, "3 seats is outside what CFQ7TTC0LFLX:0001:CFQ7TTC0AAAA (Office 365 E3) allows in one purchase (5 to 300): choose another offer with set-offer-mapping or adjust the originals")
				l.Unresolved = true
				return l
			}()}, NeedsApproval: true},
		},
		{
			name: "UnresolvedWhenQuantityAboveMaximum",
			give: PlanInput{
				Originals: []csptransfer.OriginalSubscription{original(skuE3, "ENTERPRISEPACK", 200, exp1), original(skuE3, "ENTERPRISEPACK", 101, exp1)},
				Catalog:   []activities.CatalogFacts{factsE3(offerE3(true))},
				Approval:  csptransfer.ApprovalNever,
			},
			want: PlanResult{Lines: []csptransfer.PlanLine{func() csptransfer.PlanLine {
				l := sameE3Line(301, exp1,
					"2 originals of this SKU ending on the same date are pooled into 301 seats",
					"301 seats is outside what CFQ7TTC0LFLX:0001:CFQ7TTC0AAAA (Office 365 E3) allows in one purchase (1 to 300): choose another offer with set-offer-mapping or adjust the originals")
				l.Unresolved = true
				return l
			}()}, NeedsApproval: true},
		},
		{
			name: "NoUpperLimitWhenMaximumUnknown",
			give: PlanInput{
				Originals: []csptransfer.OriginalSubscription{original(skuE3, "ENTERPRISEPACK", 100_000, exp1)},
				Catalog: []activities.CatalogFacts{factsE3(func() *activities.CatalogOffer {
					o := offerE3(true)
					o.MinQuantity, o.MaxQuantity = 0, 0
					return o
				}())},
			},
			want: PlanResult{Lines: []csptransfer.PlanLine{sameE3Line(100_000, exp1)}, Ready: true},
		},
		{
			name: "SortsByExpiryThenSourceSku",
			give: PlanInput{
				Originals: []csptransfer.OriginalSubscription{
					original(skuE5, "", 1, exp1), original(skuE3, "ENTERPRISEPACK", 2, exp2), original("", "ZED", 3, exp1),
					original("", "ALPHA", 4, exp1), original(skuBP, "", 5, exp3),
				},
				Catalog: []activities.CatalogFacts{factsE3(offerE3(true))},
			},
			want: PlanResult{Lines: []csptransfer.PlanLine{
				{SourceSkuPartNumber: "ALPHA", Quantity: 4, OriginalExpiresAt: exp1, Unresolved: true,
					Notes: []string{"no catalog facts are known for this SKU: choose the offer to buy with set-offer-mapping"}},
				{SourceSkuPartNumber: "ZED", Quantity: 3, OriginalExpiresAt: exp1, Unresolved: true,
					Notes: []string{"no catalog facts are known for this SKU: choose the offer to buy with set-offer-mapping"}},
				{SourceSkuID: skuE5, Quantity: 1, OriginalExpiresAt: exp1, Unresolved: true,
					Notes: []string{"no catalog facts are known for this SKU: choose the offer to buy with set-offer-mapping"}},
				sameE3Line(2, exp2),
				{SourceSkuID: skuBP, Quantity: 5, OriginalExpiresAt: exp3, Unresolved: true,
					Notes: []string{"no catalog facts are known for this SKU: choose the offer to buy with set-offer-mapping"}},
			}, NeedsApproval: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Plan(tt.give)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestPlanApproval(t *testing.T) {
	same := PlanInput{
		Originals: []csptransfer.OriginalSubscription{original(skuE3, "ENTERPRISEPACK", 25, exp1)},
		Catalog:   []activities.CatalogFacts{factsE3(offerE3(true))},
	}
	changed := PlanInput{
		Originals: []csptransfer.OriginalSubscription{original(skuE3, "ENTERPRISEPACK", 25, exp1)},
		Catalog:   []activities.CatalogFacts{factsE3(offerE3(false), succE5)},
	}
	unresolved := PlanInput{
		Originals: []csptransfer.OriginalSubscription{original(skuE3, "ENTERPRISEPACK", 25, exp1)},
		Catalog:   []activities.CatalogFacts{factsE3(nil)},
	}
	tests := []struct {
		name      string
		give      PlanInput
		policy    csptransfer.ApprovalPolicy
		wantNeeds bool
		wantReady bool
	}{
		{"AutoSkipsApprovalForSameOffer", same, csptransfer.ApprovalAuto, false, true},
		{"DefaultIsAuto", same, "", false, true},
		{"PolicyIsCaseInsensitive", same, "ALWAYS", true, true},
		{"AutoAsksWhenOfferChanges", changed, csptransfer.ApprovalAuto, true, true},
		{"AutoAsksWhenUnresolved", unresolved, csptransfer.ApprovalAuto, true, false},
		{"AlwaysAsksForSameOffer", same, csptransfer.ApprovalAlways, true, true},
		{"AlwaysAsksForChange", changed, csptransfer.ApprovalAlways, true, true},
		{"NeverSkipsSameOffer", same, csptransfer.ApprovalNever, false, true},
		{"NeverSkipsOfferChange", changed, csptransfer.ApprovalNever, false, true},
		{"NeverStillNeedsOperatorWhenUnresolved", unresolved, csptransfer.ApprovalNever, true, false},
		{"AutoIgnoresEmptyPlan", PlanInput{}, csptransfer.ApprovalAuto, false, true},
		{"AlwaysAsksEvenForEmptyPlan", PlanInput{}, csptransfer.ApprovalAlways, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.give
			in.Approval = tt.policy
			got, err := Plan(in)
			require.NoError(t, err)
			require.Equal(t, tt.wantNeeds, got.NeedsApproval)
			require.Equal(t, tt.wantReady, got.Ready)
		})
	}
}

func TestPlanRejectsBrokenInput(t *testing.T) {
	good := original(skuE3, "ENTERPRISEPACK", 1, exp1)
	tests := []struct {
		name    string
		give    PlanInput
		wantErr string
	}{
		{name: "ErrUnknownPolicy", give: PlanInput{Approval: "sometimes"},
			wantErr: `plan input: approval "sometimes" is not one of auto, always, never`},
		{name: "ErrOriginalWithoutSku", give: PlanInput{Originals: []csptransfer.OriginalSubscription{good, original(" ", "", 1, exp1)}},
			wantErr: "plan input: originals[1] has neither skuId nor skuPartNumber"},
		{name: "ErrOriginalWithoutSeats", give: PlanInput{Originals: []csptransfer.OriginalSubscription{original(skuE3, "", 0, exp1)}},
			wantErr: "plan input: originals[0] has quantity 0"},
		{name: "ErrOriginalWithoutExpiry", give: PlanInput{Originals: []csptransfer.OriginalSubscription{original(skuE3, "", 1, time.Time{})}},
			wantErr: "plan input: originals[0] has no expiry"},
		{name: "ErrFactsWithoutSku", give: PlanInput{Catalog: []activities.CatalogFacts{{SourceSkuPartNumber: "X"}}},
			wantErr: "plan input: catalog[0] has no sourceSkuId"},
		{name: "ErrDuplicateFacts", give: PlanInput{Catalog: []activities.CatalogFacts{factsE3(nil), {SourceSkuID: strings.ToUpper(skuE3)}}},
			wantErr: "plan input: catalog[1] repeats sourceSkuId " + skuE3},
		{name: "ErrOriginalWithAbsurdSeats", give: PlanInput{Originals: []csptransfer.OriginalSubscription{original(skuE3, "", 1_000_000_001, exp1)}},
			wantErr: "plan input: originals[0] has quantity 1000000001"},
		{name: "ErrListsAllProblems", give: PlanInput{Approval: "x", Originals: []csptransfer.OriginalSubscription{{}}},
			wantErr: `plan input: approval "x" is not one of auto, always, never; originals[0] has neither skuId nor skuPartNumber; originals[0] has quantity 0; originals[0] has no expiry`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Plan(tt.give)
			require.EqualError(t, err, tt.wantErr)
		})
	}
}

// A plan must not depend on the order in which discovery, the catalog or Go's map iteration delivered things.
func TestPlanIsDeterministic(t *testing.T) {
	in := PlanInput{
		Originals: []csptransfer.OriginalSubscription{
			original(skuE3, "ENTERPRISEPACK", 10, exp2), original(skuE3, "ENTERPRISEPACK", 15, exp1), original(skuE5, "", 3, exp1),
			original("", "ALPHA", 4, exp1), original(strings.ToUpper(skuE3), "", 5, exp2), original(skuBP, "", 7, exp3),
		},
		Catalog: []activities.CatalogFacts{
			factsE3(offerE3(false), succE5, succNoTeams,
				activities.CatalogOffer{CatalogItemID: "TIE:0001", SkuID: skuE5, Purchasable: true, ServicePlans: e3Plans}),
			{SourceSkuID: skuE5, SameSku: &succE5},
		},
		Overrides: map[string]string{"alpha": "A:1", "ALPHA": "B:1", "Alpha": "C:1", skuBP: "D:1"},
	}
	want, err := Plan(in)
	require.NoError(t, err)
	wantJSON, err := json.Marshal(want)
	require.NoError(t, err)

	rotate := func(n, k int) []int {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = (i + k) % n
		}
		return idx
	}
	for k := range 6 {
		t.Run(fmt.Sprintf("Rotation%d", k), func(t *testing.T) {
			p := in
			p.Originals = nil
			for _, i := range rotate(len(in.Originals), k) {
				p.Originals = append(p.Originals, in.Originals[i])
			}
			p.Catalog = nil
			for _, i := range rotate(len(in.Catalog), k) {
				f := in.Catalog[i]
				succ := append([]activities.CatalogOffer(nil), f.Successors...)
				for a, b := 0, len(succ)-1; a < b; a, b = a+1, b-1 {
					succ[a], succ[b] = succ[b], succ[a]
				}
				f.Successors = succ
				p.Catalog = append(p.Catalog, f)
			}
			got, err := Plan(p)
			require.NoError(t, err)
			gotJSON, err := json.Marshal(got)
			require.NoError(t, err)
			require.JSONEq(t, string(wantJSON), string(gotJSON))
		})
	}
	// Of the keys that differ only in case, the smallest in byte order ("ALPHA") wins.
	require.Equal(t, "B:1", want.Lines[0].TargetCatalogItemID)
}

func TestPlanDoesNotChangeItsInput(t *testing.T) {
	in := PlanInput{
		Originals: []csptransfer.OriginalSubscription{original(strings.ToUpper(skuE3), "", 10, exp1.In(time.FixedZone("X", 7200)))},
		Catalog:   []activities.CatalogFacts{factsE3(offerE3(false), succNoTeams, succE5)},
	}
	before, err := json.Marshal(in)
	require.NoError(t, err)
	_, err = Plan(in)
	require.NoError(t, err)
	after, err := json.Marshal(in)
	require.NoError(t, err)
	require.JSONEq(t, string(before), string(after))
	require.Equal(t, "CFQ7TTC0LHSF:0002", in.Catalog[0].Successors[0].CatalogItemID)
}

func TestPlanScalesToTheRequestLimits(t *testing.T) {
	var in PlanInput
	for i := range csptransfer.MaxSubscriptions {
		sku := fmt.Sprintf("00000000-0000-0000-0000-%012d", i%10)
		in.Originals = append(in.Originals, original(sku, "", csptransfer.MaxQuantity, exp1.Add(time.Duration(i%7)*24*time.Hour)))
		if i < 10 {
			in.Catalog = append(in.Catalog, activities.CatalogFacts{SourceSkuID: sku, SameSku: &activities.CatalogOffer{
				CatalogItemID: fmt.Sprintf("P%d:0001", i), SkuID: sku, Purchasable: true}})
		}
	}
	got, err := Plan(in)
	require.NoError(t, err)
	total := 0
	for _, l := range got.Lines {
		total += l.Quantity
		require.True(t, l.SameOffer)
	}
	require.Equal(t, csptransfer.MaxSubscriptions*csptransfer.MaxQuantity, total)
	require.Len(t, got.Lines, 70)
	require.True(t, got.Ready)
}

func TestProvisionAt(t *testing.T) {
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	line := csptransfer.PlanLine{OriginalExpiresAt: now.Add(30 * day)}
	tests := []struct {
		name string
		line csptransfer.PlanLine
		mode csptransfer.ProvisioningMode
		lead csptransfer.Duration
		want time.Time
	}{
		{name: "ImmediatelyIsNow", line: line, mode: csptransfer.ProvisionImmediately, lead: csptransfer.Duration(7 * day), want: now},
		{name: "EmptyModeIsNow", line: line, mode: "", lead: csptransfer.Duration(7 * day), want: now},
		{name: "UnknownModeIsNow", line: line, mode: "later", lead: csptransfer.Duration(7 * day), want: now},
		{name: "BeforeExpiryLeadTime", line: line, mode: csptransfer.ProvisionBeforeExpiry, lead: csptransfer.Duration(7 * day), want: now.Add(23 * day)},
		{name: "BeforeExpiryDefaultLeadTime", line: line, mode: csptransfer.ProvisionBeforeExpiry, lead: 0, want: now.Add(23 * day)},
		{name: "BeforeExpiryNegativeLeadTimeUsesDefault", line: line, mode: csptransfer.ProvisionBeforeExpiry, lead: csptransfer.Duration(-day), want: now.Add(23 * day)},
		{name: "BeforeExpiryNeverBeforeNow", line: line, mode: csptransfer.ProvisionBeforeExpiry, lead: csptransfer.Duration(60 * day), want: now},
		{name: "BeforeExpiryExactlyNow", line: line, mode: csptransfer.ProvisionBeforeExpiry, lead: csptransfer.Duration(30 * day), want: now},
		{name: "BeforeExpiryAlreadyExpired", line: csptransfer.PlanLine{OriginalExpiresAt: now.Add(-day)}, mode: csptransfer.ProvisionBeforeExpiry, lead: csptransfer.Duration(day), want: now},
		{name: "BeforeExpiryWithoutExpiryIsNow", line: csptransfer.PlanLine{}, mode: csptransfer.ProvisionBeforeExpiry, lead: csptransfer.Duration(day), want: now},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, ProvisionAt(tt.line, tt.mode, tt.lead, now))
		})
	}
}

func FuzzPlan(f *testing.F) {
	seeds := []PlanInput{
		{},
		{
			Originals: []csptransfer.OriginalSubscription{original(skuE3, "ENTERPRISEPACK", 25, exp1), original("", "enterprisepack", 5, exp1), original(skuE3, "", 3, exp2)},
			Catalog:   []activities.CatalogFacts{factsE3(offerE3(false), succNoTeams, succE5)},
			Overrides: map[string]string{"ENTERPRISEPACK": "bad", "enterprisepack": "A:B"},
			Approval:  csptransfer.ApprovalNever,
		},
		{
			Originals: []csptransfer.OriginalSubscription{original(skuE3, "", 301, exp1)},
			Catalog:   []activities.CatalogFacts{factsE3(offerE3(true))},
		},
	}
	for _, s := range seeds {
		b, err := json.Marshal(s)
		require.NoError(f, err)
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, payload string) {
		var in PlanInput
		if json.Unmarshal([]byte(payload), &in) != nil {
			return
		}
		got, err := Plan(in)
		again, err2 := Plan(in)
		require.Equal(t, err, err2)
		require.Equal(t, got, again)
		if err != nil {
			return
		}
		seats := 0
		for _, o := range in.Originals {
			seats += o.Quantity
		}
		planned, unresolved := 0, false
		for i, l := range got.Lines {
			require.GreaterOrEqual(t, l.Quantity, 1)
			planned += l.Quantity
			unresolved = unresolved || l.Unresolved
			if i > 0 {
				require.False(t, l.OriginalExpiresAt.Before(got.Lines[i-1].OriginalExpiresAt), "lines out of order")
			}
		}
		require.Equal(t, seats, planned, "every original seat is bought, no more")
		require.Equal(t, !unresolved, got.Ready)
		if unresolved {
			require.True(t, got.NeedsApproval)
		}
	})
}
