package partnercenter

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// TargetViewOnlineServices is the catalog view of license-based
// (Microsoft 365 / Dynamics 365) new-commerce offers.
const TargetViewOnlineServices = "OnlineServices"

// ErrNotInCatalog is returned by FindSku when no catalog SKU provisions the
// requested Graph SKU.
var ErrNotInCatalog = errors.New("no catalog sku provisions this graph sku")

// Products returns the OnlineServices products available to the customer
// (the customer's country is implied).
func (c *Client) Products(ctx context.Context, customerID string) ([]Product, error) {
	id, err := seg("customer id", customerID)
	if err != nil {
		return nil, err
	}
	return validProducts(list[Product](ctx, c, c.app, "/v1/customers/"+id+"/products", url.Values{"targetView": {TargetViewOnlineServices}}, "products"))
}

// ProductsInCountry returns the OnlineServices products sold in a country.
func (c *Client) ProductsInCountry(ctx context.Context, country string) ([]Product, error) {
	if _, err := seg("country", country); err != nil {
		return nil, err
	}
	return validProducts(list[Product](ctx, c, c.app, "/v1/products", url.Values{"country": {country}, "targetView": {TargetViewOnlineServices}}, "products"))
}

func validProducts(items []Product, err error) ([]Product, error) {
	if err != nil {
		return nil, err
	}
	for _, p := range items {
		if p.ID == "" {
			return nil, missing("products", "id")
		}
	}
	return items, nil
}

// Skus returns a product's SKUs as offered to the customer.
func (c *Client) Skus(ctx context.Context, customerID, productID string) ([]Sku, error) {
	id, err := seg("customer id", customerID)
	if err != nil {
		return nil, err
	}
	pid, err := seg("product id", productID)
	if err != nil {
		return nil, err
	}
	return validSkus(list[Sku](ctx, c, c.app, "/v1/customers/"+id+"/products/"+pid+"/skus", nil, "skus"))
}

// SkusInCountry returns a product's SKUs in a country.
func (c *Client) SkusInCountry(ctx context.Context, country, productID string) ([]Sku, error) {
	if _, err := seg("country", country); err != nil {
		return nil, err
	}
	pid, err := seg("product id", productID)
	if err != nil {
		return nil, err
	}
	return validSkus(list[Sku](ctx, c, c.app, "/v1/products/"+pid+"/skus", url.Values{"country": {country}}, "skus"))
}

func validSkus(items []Sku, err error) ([]Sku, error) {
	if err != nil {
		return nil, err
	}
	for _, s := range items {
		if s.ID == "" || s.ProductID == "" {
			return nil, missing("skus", "id or productId")
		}
	}
	return items, nil
}

// Availabilities returns a SKU's availabilities for the customer. A
// discontinued SKU has only non-purchasable availabilities; an offer not sold
// in the customer's country has none (or answers 404).
func (c *Client) Availabilities(ctx context.Context, customerID, productID, skuID string) ([]Availability, error) {
	id, err := seg("customer id", customerID)
	if err != nil {
		return nil, err
	}
	pid, err := seg("product id", productID)
	if err != nil {
		return nil, err
	}
	sid, err := seg("sku id", skuID)
	if err != nil {
		return nil, err
	}
	return validAvailabilities(list[Availability](ctx, c, c.app, "/v1/customers/"+id+"/products/"+pid+"/skus/"+sid+"/availabilities", nil, "availabilities"))
}

// AvailabilitiesInCountry returns a SKU's availabilities in a country.
func (c *Client) AvailabilitiesInCountry(ctx context.Context, country, productID, skuID string) ([]Availability, error) {
	if _, err := seg("country", country); err != nil {
		return nil, err
	}
	pid, err := seg("product id", productID)
	if err != nil {
		return nil, err
	}
	sid, err := seg("sku id", skuID)
	if err != nil {
		return nil, err
	}
	return validAvailabilities(list[Availability](ctx, c, c.app, "/v1/products/"+pid+"/skus/"+sid+"/availabilities", url.Values{"country": {country}}, "availabilities"))
}

func validAvailabilities(items []Availability, err error) ([]Availability, error) {
	if err != nil {
		return nil, err
	}
	for _, a := range items {
		if a.CatalogItemID == "" {
			return nil, missing("availabilities", "catalogItemId")
		}
	}
	return items, nil
}

// FindSku returns the customer-scoped catalog SKU whose
// dynamicAttributes.provisioningId is graphSkuID (the skuId GUID Graph
// reports for a license). It walks every OnlineServices product, so cache
// the answer. It returns an error matching ErrNotInCatalog when no SKU
// matches.
func (c *Client) FindSku(ctx context.Context, customerID, graphSkuID string) (Sku, error) {
	if strings.TrimSpace(graphSkuID) == "" {
		return Sku{}, errors.New("partnercenter: graph sku id is required")
	}
	ctx = operation(ctx)
	products, err := c.Products(ctx, customerID)
	if err != nil {
		return Sku{}, err
	}
	for _, p := range products {
		skus, err := c.Skus(ctx, customerID, p.ID)
		if err != nil {
			return Sku{}, fmt.Errorf("skus of product %s: %w", p.ID, err)
		}
		for _, s := range skus {
			if strings.EqualFold(s.ProvisioningID(), graphSkuID) {
				return s, nil
			}
		}
	}
	return Sku{}, fmt.Errorf("graph sku %s: %w", graphSkuID, ErrNotInCatalog)
}
