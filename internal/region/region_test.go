package region_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/csptransfer/csptransfer/internal/region"
)

func TestOf(t *testing.T) {
	tests := []struct {
		give string
		want region.MarketID
	}{
		{give: "DE", want: region.Europe},
		{give: "de", want: region.Europe},
		{give: " fr ", want: region.Europe},
		{give: "GB", want: region.Europe},
		{give: "UK", want: region.Europe},
		{give: "CH", want: region.Europe},
		{give: "NO", want: region.Europe},
		{give: "IS", want: region.Europe},
		{give: "LI", want: region.Europe},
		{give: "PL", want: region.Europe},
		{give: "GG", want: region.Europe},
		{give: "US", want: region.UnitedStates},
		{give: "UM", want: region.UnitedStates},
		{give: "CA", want: region.Canada},
		{give: "PM", want: region.Canada},
		{give: "BR", want: region.Brazil},
		{give: "IN", want: region.India},
		{give: "JP", want: region.Japan},
		{give: "KR", want: region.Korea},
		{give: "TW", want: region.Taiwan},
		{give: "RU", want: region.Russia},
		{give: "AU", want: region.Australia},
		{give: "FJ", want: region.Australia},
		{give: "NZ", want: region.NewZealand},
		{give: "WS", want: region.NewZealand},
		{give: "SG", want: region.AsiaPacific},
		{give: "HK", want: region.AsiaPacific},
		{give: "MX", want: region.LatinAmericaCaribbean},
		{give: "PR", want: region.LatinAmericaCaribbean},
		{give: "TR", want: region.MiddleEastCentralEast},
		{give: "ZA", want: region.MiddleEastCentralEast},
		{give: "AE", want: region.MiddleEastCentralEast},
		{give: "UA", want: region.MiddleEastCentralEast},
		{give: "KE", want: region.Africa},
		{give: "NG", want: region.Africa},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			m, err := region.Of(tt.give)
			require.NoError(t, err)
			require.Equal(t, tt.want, m.ID)
			require.NotEmpty(t, m.Name)
		})
	}
}

func TestOfErrors(t *testing.T) {
	tests := []struct {
		give    string
		wantMsg string
	}{
		{give: "", wantMsg: `country ""`},
		{give: "DEU", wantMsg: "ISO 3166-1 alpha-2"},
		{give: "Germany", wantMsg: "ISO 3166-1 alpha-2"},
		{give: "D1", wantMsg: "ISO 3166-1 alpha-2"},
		{give: "ÄÖ", wantMsg: "ISO 3166-1 alpha-2"},
		{give: "CN", wantMsg: `"CN" is in no CSP regional market`},
		{give: "ZZ", wantMsg: `"ZZ" is in no CSP regional market`},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			_, err := region.Of(tt.give)
			require.Error(t, err)
			require.ErrorIs(t, err, region.ErrUnknownCountry)
			require.Contains(t, err.Error(), tt.wantMsg)
		})
	}
}

func TestSame(t *testing.T) {
	tests := []struct {
		a, b    string
		want    bool
		wantErr bool
	}{
		{a: "DE", b: "FR", want: true},
		{a: "GB", b: "IE", want: true},
		{a: "US", b: "CA", want: false},
		{a: "US", b: "PR", want: false},
		{a: "CH", b: "DE", want: true},
		{a: "AU", b: "NZ", want: false},
		{a: "JP", b: "KR", want: false},
		{a: "DE", b: "XX", wantErr: true},
		{a: "", b: "DE", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.a+"-"+tt.b, func(t *testing.T) {
			got, err := region.Same(tt.a, tt.b)
			if tt.wantErr {
				require.ErrorIs(t, err, region.ErrUnknownCountry)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestTableIsConsistent(t *testing.T) {
	seen := map[string]region.MarketID{}
	markets := region.Markets()
	require.Len(t, markets, 15)
	for _, m := range markets {
		codes := region.Countries(m.ID)
		require.NotEmpty(t, codes, m.ID)
		for _, c := range codes {
			prev, dup := seen[c]
			require.False(t, dup, "%s listed in %s and %s", c, prev, m.ID)
			seen[c] = m.ID
			got, err := region.Of(c)
			require.NoError(t, err)
			require.Equal(t, m.ID, got.ID)
		}
	}
	// Every EU member state is in the Europe market.
	for _, c := range []string{"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
		"IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"} {
		require.Equal(t, region.Europe, seen[c], c)
	}
	require.Nil(t, region.Countries("nowhere"))
}

func TestPickPartner(t *testing.T) {
	partners := []region.Partner{
		{TenantID: "us-tenant", Country: "US"},
		{TenantID: "eu-tenant", Country: "NL"},
		{TenantID: "au-tenant", Country: "AU"},
	}
	tests := []struct {
		name     string
		partners []region.Partner
		customer string
		want     string
		wantErr  error
	}{
		{name: "europe", partners: partners, customer: "DE", want: "eu-tenant"},
		{name: "us", partners: partners, customer: "us", want: "us-tenant"},
		{name: "australia", partners: partners, customer: "FJ", want: "au-tenant"},
		{name: "no market", partners: partners, customer: "BR", wantErr: region.ErrNoPartnerForMarket},
		{name: "bad customer", partners: partners, customer: "Brazil", wantErr: region.ErrUnknownCountry},
		{name: "bad partner", partners: []region.Partner{{TenantID: "x", Country: "??"}}, customer: "DE", wantErr: region.ErrUnknownCountry},
		{name: "none", customer: "DE", wantErr: region.ErrNoPartnerForMarket},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := region.PickPartner(tt.partners, tt.customer)
			if tt.wantErr != nil {
				require.True(t, errors.Is(err, tt.wantErr), "got %v", err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got.TenantID)
		})
	}
}
