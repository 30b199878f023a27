package activities

// CatalogFacts is what the Partner Center catalog says, for the customer's country, about one original
// (source) SKU: whether the same SKU can still be bought and which offers succeed it. Planning in the
// workflow is a pure function over these facts, so everything it needs must be here.
type CatalogFacts struct {
	// SourceSkuID is the original's Microsoft Graph skuId (a GUID).
	SourceSkuID string `json:"sourceSkuId"`
	// SourceSkuPartNumber is the original's Graph skuPartNumber, e.g. ENTERPRISEPACK. It lets planning match
	// originals that were given by part number only.
	SourceSkuPartNumber string `json:"sourceSkuPartNumber,omitempty"`
	// SourceServicePlans are the service plan names the original SKU includes (Graph subscribedSkus
	// servicePlans). Planning compares them with a substitute's to state data-loss risks; empty means unknown.
	SourceServicePlans []string `json:"sourceServicePlans,omitempty"`
	// Country is the ISO 3166-1 alpha-2 country whose catalog was read.
	Country string `json:"country,omitempty"`
	// SameSku is the catalog's offer for the very same SKU in that country, matched through the Partner
	// Center sku's dynamicAttributes.provisioningId, which equals the Graph skuId. Nil when the catalog does
	// not sell the SKU in that country.
	SameSku *CatalogOffer `json:"sameSku,omitempty"`
	// Successors are the offers Microsoft names as replacements for the SKU (upgrade, conversion or
	// transition targets, or the legacy-to-new-commerce mapping). Empty when none are known.
	Successors []CatalogOffer `json:"successors,omitempty"`
}

// CatalogOffer is one purchasable (or formerly purchasable) catalog item.
type CatalogOffer struct {
	// CatalogItemID is what a cart line buys: "productId:skuId[:availabilityId]".
	CatalogItemID string `json:"catalogItemId"`
	// SkuID is the Graph skuId the offer provisions (the sku's dynamicAttributes.provisioningId). Empty when
	// the catalog does not say.
	SkuID string `json:"skuId,omitempty"`
	// Title is the offer's display name.
	Title string `json:"title,omitempty"`
	// Purchasable reports whether an availability of the offer can be bought now (isPurchasable).
	Purchasable bool `json:"purchasable"`
	// MinQuantity is the smallest seat count one purchase may have. 0 means 1.
	MinQuantity int `json:"minQuantity,omitempty"`
	// MaxQuantity is the largest seat count one purchase may have. 0 means no limit is known.
	MaxQuantity int `json:"maxQuantity,omitempty"`
	// ServicePlans are the service plan names the offer's SKU includes; empty means unknown.
	ServicePlans []string `json:"servicePlans,omitempty"`
}
