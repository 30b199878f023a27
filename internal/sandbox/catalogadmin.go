package sandbox

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// CatalogItemInput is the body of POST /sandbox/catalog/items: one SKU added to the catalog, with its
// product when the product is new. ProductID, SkuID, Title, GraphSkuID, SkuPartNumber and PriceUSD are
// required; the product:sku pair, the Graph skuId and the part number must all be new to the catalog.
type CatalogItemInput struct {
	// ProductID and SkuID are the Partner Center ids, e.g. "CFQ7TTC0TEST" and "0001" (no ':', '/' or spaces).
	ProductID string `json:"productId"`
	SkuID     string `json:"skuId"`
	// Title is the product's title. Optional: SkuTitle is the SKU's. default: Title
	Title       string `json:"title"`
	SkuTitle    string `json:"skuTitle,omitempty"`
	Description string `json:"description,omitempty"`
	// GraphSkuID is the SKU's Graph skuId (a GUID; Partner Center's dynamicAttributes.provisioningId) and
	// SkuPartNumber its Graph part number (no '/' or spaces).
	GraphSkuID    string `json:"graphSkuId"`
	SkuPartNumber string `json:"skuPartNumber"`
	// Optional: MinQuantity and MaxQuantity bound the seats of one purchase. default: 1 and 10000
	MinQuantity int `json:"minQuantity,omitempty"`
	MaxQuantity int `json:"maxQuantity,omitempty"`
	// Optional: Countries are the ISO 3166 alpha-2 codes with an availability, each one the sandbox's market
	// table knows. default: every country of that table
	Countries []string `json:"countries,omitempty"`
	// PriceUSD is the monthly price of one seat with an annual commitment, in USD (> 0); other currencies and
	// the monthly term are derived as for the built-in list.
	PriceUSD float64 `json:"priceUsd"`
	// Optional: ServicePlans of the SKU. default: one plan named after the part number, with an id derived
	// from the Graph skuId
	ServicePlans []ServicePlanInput `json:"servicePlans,omitempty"`
	// Optional: Retired adds the SKU already retired (RetireInput): no purchasable availability, and
	// Successor as its only upgrade target when set.
	Retired   bool   `json:"retired,omitempty"`
	Successor string `json:"successor,omitempty"`
}

// ServicePlanInput is one service plan of a SKU added with CatalogItemInput.
type ServicePlanInput struct {
	ID   string `json:"servicePlanId"`
	Name string `json:"servicePlanName"`
}

// RetireInput is the optional body of POST /sandbox/catalog/skus/{partNumber}/retire. Successor names the
// SKU that replaces the retired one ("product:sku" or a part number; purchasable, not the SKU itself) and
// becomes its only upgrade target; empty retires the SKU without a successor (no upgrade target at all).
type RetireInput struct {
	Successor string `json:"successor,omitempty"`
}

// CatalogItemView is how the admin API shows one SKU of the catalog (GET /sandbox/catalog and the answers
// of the catalog calls).
type CatalogItemView struct {
	ProductID     string  `json:"productId"`
	SkuID         string  `json:"skuId"`
	Title         string  `json:"title"`
	SkuTitle      string  `json:"skuTitle"`
	GraphSkuID    string  `json:"graphSkuId"`
	SkuPartNumber string  `json:"skuPartNumber"`
	MinQuantity   int     `json:"minQuantity"`
	MaxQuantity   int     `json:"maxQuantity"`
	PriceUSD      float64 `json:"priceUsd"`
	// Countries lists where the SKU has an availability; empty means every country the sandbox knows,
	// less NotSoldIn.
	Countries []string `json:"countries"`
	NotSoldIn []string `json:"notSoldIn"`
	// Retired SKUs have no purchasable availability; UpgradeTargetOffers ("product:sku") is what Partner
	// Center shows as their successor.
	Retired             bool     `json:"retired"`
	UpgradeTargetOffers []string `json:"upgradeTargetOffers"`
	// AddedByAdmin is set on SKUs added with POST /sandbox/catalog/items.
	AddedByAdmin bool `json:"addedByAdmin"`
}

// catalogChanges is what the admin API changed in the built-in catalog, in order; the state file keeps it
// and New and the admin calls apply it to newCatalog.
type catalogChanges struct {
	Items       []CatalogItemInput `json:"items,omitempty"`
	Retirements []retirement       `json:"retirements,omitempty"`
}

// retirement retires the SKU with PartNumber; Successor is "product:sku" or empty.
type retirement struct {
	PartNumber string `json:"partNumber"`
	Successor  string `json:"successor,omitempty"`
}

// buildCatalog is the built-in catalog with changes applied. A change the catalog no longer accepts (a
// newer built-in catalog took its ids) is skipped and reported.
func buildCatalog(ch catalogChanges) (*catalog, []error) {
	c := newCatalog()
	var errs []error
	for _, in := range ch.Items {
		if _, ierr := c.add(in); ierr != nil {
			errs = append(errs, errors.New("catalog item "+in.ProductID+":"+in.SkuID+": "+ierr.Error()))
		}
	}
	for _, r := range ch.Retirements {
		if _, ierr := c.retire(r.PartNumber, r.Successor); ierr != nil {
			errs = append(errs, errors.New("retirement of "+r.PartNumber+": "+ierr.Error()))
		}
	}
	return c, errs
}

// validIDPart reports whether v can be one part of a catalog item id "product:sku:availability" and of a path.
func validIDPart(v string) bool {
	return v != "" && len(v) <= 64 && !strings.ContainsAny(v, ":/?#%\\ \t\r\n")
}

// normalize checks in against the catalog and fills its defaults; the result is what the state file keeps.
func (c *catalog) normalize(in CatalogItemInput) (CatalogItemInput, *inputError) {
	in.ProductID, in.SkuID = strings.ToUpper(strings.TrimSpace(in.ProductID)), strings.TrimSpace(in.SkuID)
	in.Title, in.SkuTitle = strings.TrimSpace(in.Title), strings.TrimSpace(in.SkuTitle)
	in.SkuPartNumber, in.GraphSkuID = strings.TrimSpace(in.SkuPartNumber), strings.ToLower(strings.TrimSpace(in.GraphSkuID))
	switch {
	case !validIDPart(in.ProductID):
		return in, bad("productId", "is required: up to 64 characters without ':', '/' or spaces")
	case !validIDPart(in.SkuID):
		return in, bad("skuId", "is required: the Partner Center sku id, e.g. 0001, without ':', '/' or spaces")
	case in.Title == "":
		return in, bad("title", "is required")
	case !validIDPart(in.SkuPartNumber):
		return in, bad("skuPartNumber", "is required: up to 64 characters without ':', '/' or spaces")
	case math.IsNaN(in.PriceUSD) || math.IsInf(in.PriceUSD, 0) || in.PriceUSD <= 0 || in.PriceUSD > 100000:
		return in, bad("priceUsd", "is required: the monthly USD price of one seat, above 0")
	case in.MinQuantity < 0 || in.MaxQuantity < 0:
		return in, bad("minQuantity", "must not be negative")
	}
	if _, err := uuid.Parse(in.GraphSkuID); err != nil {
		return in, bad("graphSkuId", "is required: the Graph skuId, a GUID")
	}
	if in.SkuTitle == "" {
		in.SkuTitle = in.Title
	}
	if in.MinQuantity == 0 {
		in.MinQuantity = 1
	}
	if in.MaxQuantity == 0 {
		in.MaxQuantity = max(10000, in.MinQuantity)
	}
	if in.MaxQuantity < in.MinQuantity {
		return in, bad("maxQuantity", "must not be below minQuantity "+strconv.Itoa(in.MinQuantity))
	}
	countries := []string{}
	for i, ct := range in.Countries {
		ct = strings.ToUpper(strings.TrimSpace(ct))
		if !knownCountry(ct) {
			return in, bad("countries["+strconv.Itoa(i)+"]", "is not a country the sandbox's market table knows (README: Catalog)")
		}
		if !slices.Contains(countries, ct) {
			countries = append(countries, ct)
		}
	}
	in.Countries = nil
	if len(countries) > 0 {
		in.Countries = countries
	}
	in.ServicePlans = slices.Clone(in.ServicePlans)
	for i, p := range in.ServicePlans {
		f := "servicePlans[" + strconv.Itoa(i) + "]"
		if _, err := uuid.Parse(p.ID); err != nil {
			return in, bad(f+".servicePlanId", "must be a GUID")
		}
		if strings.TrimSpace(p.Name) == "" {
			return in, bad(f+".servicePlanName", "is required")
		}
		in.ServicePlans[i] = ServicePlanInput{ID: strings.ToLower(p.ID), Name: strings.TrimSpace(p.Name)}
	}
	if !in.Retired && in.Successor != "" {
		return in, bad("successor", "only a retired SKU has a successor; set retired too")
	}
	if _, ok := c.bySkuKey(in.ProductID, in.SkuID); ok {
		return in, conflict("skuId", "the catalog already has "+in.ProductID+":"+in.SkuID)
	}
	if cs, ok := c.byGraphSku(in.GraphSkuID); ok {
		return in, conflict("graphSkuId", "is already the Graph skuId of "+cs.SkuPartNumber)
	}
	if _, ok := c.byPartNumber(in.SkuPartNumber); ok {
		return in, conflict("skuPartNumber", "the catalog already has "+in.SkuPartNumber)
	}
	if in.Successor != "" {
		succ, ierr := c.successor(in.Successor, in.SkuPartNumber)
		if ierr != nil {
			return in, ierr
		}
		in.Successor = succ.ProductID + ":" + succ.SkuID
	}
	return in, nil
}

// conflict is an inputError answered 409: the value is valid but taken.
func conflict(field, msg string) *inputError {
	return &inputError{Field: field, Message: msg, Status: http.StatusConflict}
}

// add puts a new SKU in the catalog, returning the normalised input.
func (c *catalog) add(in CatalogItemInput) (CatalogItemInput, *inputError) {
	in, ierr := c.normalize(in)
	if ierr != nil {
		return in, ierr
	}
	plans := make([]servicePlan, 0, len(in.ServicePlans))
	for _, p := range in.ServicePlans {
		plans = append(plans, servicePlan(p))
	}
	if len(plans) == 0 {
		sum := sha256.Sum256([]byte("service-plan/" + in.GraphSkuID))
		id, _ := uuid.FromBytes(sum[:16])
		plans = []servicePlan{{ID: id.String(), Name: strings.ToUpper(in.SkuPartNumber)}}
	}
	cs := catalogSku{ProductID: in.ProductID, SkuID: in.SkuID, ProductTitle: in.Title, SkuTitle: in.SkuTitle,
		Description: in.Description, GraphSkuID: in.GraphSkuID, SkuPartNumber: in.SkuPartNumber,
		Min: in.MinQuantity, Max: in.MaxQuantity, Plans: plans, Countries: in.Countries, PriceUSD: in.PriceUSD, Added: true}
	if in.Retired {
		cs.Discontinued = true
		if in.Successor != "" {
			cs.UpgradeTargets = []string{in.Successor}
		}
	}
	c.skus = append(c.skus, cs)
	return in, nil
}

// successor resolves ref ("product:sku" or a part number) to a purchasable SKU other than part.
func (c *catalog) successor(ref, part string) (catalogSku, *inputError) {
	ref = strings.TrimSpace(ref)
	cs, ok := c.byPartNumber(ref)
	if !ok {
		p, k, _ := strings.Cut(ref, ":")
		cs, ok = c.bySkuKey(p, k)
	}
	switch {
	case !ok:
		return cs, bad("successor", "no SKU "+ref+" in the catalog (give a part number or product:sku)")
	case strings.EqualFold(cs.SkuPartNumber, part):
		return cs, bad("successor", "a SKU cannot succeed itself")
	case cs.Discontinued:
		return cs, bad("successor", cs.SkuPartNumber+" is retired itself; an upgrade target must be purchasable")
	}
	return cs, nil
}

// retire makes the SKU with part number part not purchasable, with successorRef as its only upgrade
// target, or none when successorRef is empty. It returns the successor's "product:sku" ("" for none).
func (c *catalog) retire(part, successorRef string) (string, *inputError) {
	i := slices.IndexFunc(c.skus, func(s catalogSku) bool { return strings.EqualFold(s.SkuPartNumber, part) })
	if i < 0 {
		return "", &inputError{Field: "partNumber", Message: "no SKU with part number " + part + " in the catalog", Status: http.StatusNotFound}
	}
	target := ""
	if successorRef != "" {
		succ, ierr := c.successor(successorRef, c.skus[i].SkuPartNumber)
		if ierr != nil {
			return "", ierr
		}
		target = succ.ProductID + ":" + succ.SkuID
	}
	c.skus[i].Discontinued = true
	c.skus[i].UpgradeTargets = nil
	if target != "" {
		c.skus[i].UpgradeTargets = []string{target}
	}
	return target, nil
}

func catalogView(cs catalogSku) CatalogItemView {
	return CatalogItemView{ProductID: cs.ProductID, SkuID: cs.SkuID, Title: cs.ProductTitle, SkuTitle: cs.SkuTitle,
		GraphSkuID: cs.GraphSkuID, SkuPartNumber: cs.SkuPartNumber, MinQuantity: cs.Min, MaxQuantity: cs.Max,
		PriceUSD: priceUSD(cs), Countries: append([]string{}, cs.Countries...), NotSoldIn: append([]string{}, cs.NotSoldIn...),
		Retired: cs.Discontinued, UpgradeTargetOffers: append([]string{}, cs.UpgradeTargets...), AddedByAdmin: cs.Added}
}

// setCatalogLocked rebuilds the catalog from the state's changes, logging the ones that no longer apply.
func (s *Sandbox) setCatalogLocked() {
	cat, errs := buildCatalog(s.st.Catalog)
	for _, err := range errs {
		s.log.Warn("sandbox catalog change skipped", "error", err)
	}
	s.cat = cat
}

func (s *Sandbox) handleListCatalog(w http.ResponseWriter, _ *http.Request) {
	s.locked(w, func(time.Time) reply {
		out := make([]CatalogItemView, 0, len(s.cat.skus))
		for _, cs := range s.cat.skus {
			out = append(out, catalogView(cs))
		}
		return jsonReply(http.StatusOK, out)
	})
}

func (s *Sandbox) handleAddCatalogItem(w http.ResponseWriter, r *http.Request) {
	var in CatalogItemInput
	if err := decodeJSON(r, &in); err != nil {
		adminErr(http.StatusBadRequest, "", err.Error()).write(w)
		return
	}
	s.locked(w, func(time.Time) reply {
		in, ierr := s.cat.add(in)
		if ierr != nil {
			return adminErr(ierr.status(), ierr.Field, ierr.Message)
		}
		s.st.Catalog.Items = append(s.st.Catalog.Items, in)
		s.dirty = true
		cs, _ := s.cat.bySkuKey(in.ProductID, in.SkuID)
		return jsonReply(http.StatusCreated, catalogView(cs))
	})
}

func (s *Sandbox) handleRetireSku(w http.ResponseWriter, r *http.Request) {
	// The body is optional: none retires the SKU without a successor.
	var in RetireInput
	data, err := io.ReadAll(r.Body)
	if err != nil {
		adminErr(http.StatusBadRequest, "", "read request body: "+err.Error()).write(w)
		return
	}
	if len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, &in); err != nil {
			adminErr(http.StatusBadRequest, "", "request body is not valid JSON: "+err.Error()).write(w)
			return
		}
	}
	part := r.PathValue("partNumber")
	s.locked(w, func(time.Time) reply {
		target, ierr := s.cat.retire(part, in.Successor)
		if ierr != nil {
			return adminErr(ierr.status(), ierr.Field, ierr.Message)
		}
		cs, _ := s.cat.byPartNumber(part)
		s.st.Catalog.Retirements = append(s.st.Catalog.Retirements, retirement{PartNumber: cs.SkuPartNumber, Successor: target})
		s.dirty = true
		return jsonReply(http.StatusOK, catalogView(cs))
	})
}
