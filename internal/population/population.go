// Package population generates the synthetic citizens a run simulates:
// regions, groups, age bands, traits, households (partners and school-age
// children) and the acquaintance graph. The generator is the only source of
// people in nosedive; nothing here reads records of real individuals.
//
// Layout: one slice per attribute, indexed by agent id (int32), narrow types
// (uint8 categories, a uint64 trait bit set). Agents are stored region by
// region, so the ring lattice's neighbours are mostly regional.
package population

import (
	"context"

	"github.com/nosedive-lab/nosedive/internal/netgraph"
	"github.com/nosedive-lab/nosedive/internal/par"
	"github.com/nosedive-lab/nosedive/internal/rng"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"slices"
)

// Population is the day-0 state of every agent.
type Population struct {
	N       int
	Region  []uint8
	Group   []uint8
	Age     []uint8
	Traits  []uint32 // bit t = scenario trait t
	Partner []int32  // -1 = single
	Kids    []uint8  // school-age children
	Graph   *netgraph.Graph
}

// BytesPerAgent is the generator's memory per agent, without the graph.
const BytesPerAgent = 1 + 1 + 1 + 4 + 4 + 1

// Options change how a population is stored, never what it is.
type Options struct {
	// CompactGraph stores the acquaintance graph in ring form
	// (netgraph.Graph.Compact): the same ties in the same order, in about 7
	// bytes per agent instead of 48 for Watts-Strogatz, but each list is
	// decoded when read.
	CompactGraph bool
}

// Generate builds a population of n agents for a validated scenario, with
// the acquaintance graph in plain form.
func Generate(sc *scenario.Scenario, n int, seed uint64) *Population {
	return GenerateWith(sc, n, seed, Options{})
}

// GenerateWith builds a population of n agents for a validated scenario.
func GenerateWith(sc *scenario.Scenario, n int, seed uint64, opt Options) *Population {
	p, _ := GenerateContext(context.Background(), sc, n, seed, opt)
	return p
}

// stopChunk is the number of agents generated between checks of the
// context (a few milliseconds of work).
const stopChunk = 1 << 14

// GenerateContext is GenerateWith, stopping with ctx.Err() within one chunk
// of work once ctx is done (a signal during the setup of a large run).
func GenerateContext(ctx context.Context, sc *scenario.Scenario, n int, seed uint64, opt Options) (*Population, error) {
	p := newPopulation(n)
	s := sc.Schema()
	schema := names{Regions: s.Regions, Groups: s.Groups, Ages: s.Ages}
	p.placeRegions(sc, n)
	if err := p.drawAttributes(ctx, sc, schema, newDraws(sc, schema, seed), n); err != nil {
		return nil, err
	}
	if err := p.pairPartners(ctx, sc.Population.Households.Partnered, seed); err != nil {
		return nil, err
	}
	var err error
	if p.Graph, err = p.network(ctx, sc, schema, n, seed, opt); err != nil {
		return nil, err
	}
	if opt.CompactGraph { // (no-op when already compact)
		if p.Graph, err = p.Graph.CompactContext(ctx); err != nil {
			return nil, err
		}
	}
	p.shareZeroColumns()
	return p, nil
}

// names are the scenario's region, group and age band names by index
// (those of its rule schema).
type names struct{ Regions, Groups, Ages []string }

// newPopulation allocates the attribute columns of n agents.
func newPopulation(n int) *Population {
	return &Population{
		N:       n,
		Region:  make([]uint8, n),
		Group:   make([]uint8, n),
		Age:     make([]uint8, n),
		Traits:  make([]uint32, n),
		Partner: make([]int32, n),
		Kids:    make([]uint8, n),
	}
}

// placeRegions gives the regions exact counts by largest remainder, as
// contiguous id ranges.
func (p *Population) placeRegions(sc *scenario.Scenario, n int) {
	shares := make([]float64, len(sc.Population.Regions))
	for i, r := range sc.Population.Regions {
		shares[i] = r.Share
	}
	counts := apportion(n, shares)
	id := 0
	for r, c := range counts {
		for k := 0; k < c; k++ {
			p.Region[id] = uint8(r)
			id++
		}
	}
}

// draws is what the per-agent draws read: their stream keys and the
// cumulative shares of age bands and of each region's groups.
type draws struct {
	kGroup, kAge, kKids uint64
	ages                []float64
	regionGroups        [][]float64 // per region, cumulative group shares
	regionGroupIdx      [][]uint8   // per region, the schema index of each of its groups
	traitKeys           []uint64    // per trait
}

// newDraws keys the attribute streams by seed and accumulates the shares.
func newDraws(sc *scenario.Scenario, schema names, seed uint64) draws {
	groupIndex := map[string]uint8{}
	for i, g := range schema.Groups {
		groupIndex[g] = uint8(i)
	}
	d := draws{
		kGroup:         rng.Key(seed, "population/group"),
		kAge:           rng.Key(seed, "population/age"),
		kKids:          rng.Key(seed, "population/children"),
		ages:           cumulative(sc.Population.Ages),
		regionGroups:   make([][]float64, len(sc.Population.Regions)),
		regionGroupIdx: make([][]uint8, len(sc.Population.Regions)),
		traitKeys:      make([]uint64, len(sc.Population.Traits)),
	}
	for r, reg := range sc.Population.Regions {
		d.regionGroups[r] = cumulative(reg.Groups)
		for _, g := range reg.Groups {
			d.regionGroupIdx[r] = append(d.regionGroupIdx[r], groupIndex[g.Name])
		}
	}
	for t, tr := range sc.Population.Traits {
		d.traitKeys[t] = rng.Key(seed, "population/trait/"+tr.Name)
	}
	return d
}

// drawAttributes draws each agent's group, age band, traits and children,
// stopping with ctx.Err() once ctx is done.
func (p *Population) drawAttributes(ctx context.Context, sc *scenario.Scenario, schema names, d draws, n int) error {
	kGroup, kAge, kKids := d.kGroup, d.kAge, d.kKids
	ages, regionGroups, regionGroupIdx, traitKeys := d.ages, d.regionGroups, d.regionGroupIdx, d.traitKeys
	regionName := func(i int) string { return schema.Regions[p.Region[i]] }
	// Attributes are drawn per agent from counter-based streams, so chunks
	// are independent and the result does not depend on the cores.
	par.For(n, stopChunk, func(lo, hi int) {
		if ctx.Err() != nil {
			return
		}
		for i := lo; i < hi; i++ {
			r := p.Region[i]
			p.Group[i] = regionGroupIdx[r][pickCum(regionGroups[r], rng.Float(kGroup, uint64(i)))]
			p.Age[i] = uint8(pickCum(ages, rng.Float(kAge, uint64(i))))
			g, a := schema.Groups[p.Group[i]], schema.Ages[p.Age[i]]
			var bits uint32
			for t, tr := range sc.Population.Traits {
				prob := tr.P
				for _, w := range tr.Where {
					if matches(w.Region, w.Group, w.Age, regionName(i), g, a) {
						prob = w.P
						break
					}
				}
				if rng.Float(traitKeys[t], uint64(i)) < prob {
					bits |= 1 << uint(t)
				}
			}
			p.Traits[i] = bits
			h := sc.Population.Households
			mean := h.Children
			for _, w := range h.Where {
				if matches(w.Region, w.Group, w.Age, regionName(i), g, a) {
					mean = w.Children
					break
				}
			}
			p.Kids[i] = uint8(min(rng.Poisson(kKids, uint64(i), mean), 255))
		}
	})
	return ctx.Err()
}

// network builds the acquaintance graph the scenario's network model names
// (Watts-Strogatz, in ring form when opt.CompactGraph; homophilous over
// region-and-group buckets; none).
func (p *Population) network(ctx context.Context, sc *scenario.Scenario, schema names, n int, seed uint64, opt Options) (*netgraph.Graph, error) {
	switch sc.Network.Model {
	case "watts-strogatz":
		if opt.CompactGraph { // built in ring form directly, never plain
			return netgraph.WattsStrogatzCompactContext(ctx, n, sc.Network.Degree, sc.Network.Rewire, seed)
		}
		return netgraph.WattsStrogatzContext(ctx, n, sc.Network.Degree, sc.Network.Rewire, seed)
	case "homophilous":
		bucket := make([]uint16, n)
		ng := len(schema.Groups)
		for i := range bucket {
			bucket[i] = uint16(int(p.Region[i])*ng + int(p.Group[i]))
		}
		q, _ := netgraph.HomophilousRewire(sc.Network.Degree, sc.Network.Homophily, sc.Network.Clustering) // validated
		return netgraph.HomophilousContext(ctx, n, sc.Network.Degree, sc.Network.Homophily, q, bucket, seed)
	default:
		return netgraph.Empty(n), nil
	}
}

// shareZeroColumns lets the byte columns that are 0 for everyone (a single
// region or age band, no children) share one array: 1 byte per agent less
// for each after the first. The columns are never written after Generate.
func (p *Population) shareZeroColumns() {
	var zeros []uint8
	for _, col := range []*[]uint8{&p.Region, &p.Age, &p.Kids} {
		if slices.ContainsFunc(*col, func(x uint8) bool { return x != 0 }) {
			continue
		}
		if zeros == nil {
			zeros = *col
		} else {
			*col = zeros
		}
	}
}

// pairPartners shuffles the agents and pairs the first share of them
// consecutively: (s0,s1), (s2,s3), ...
func (p *Population) pairPartners(ctx context.Context, share float64, seed uint64) error {
	for i := range p.Partner {
		p.Partner[i] = -1
	}
	pairs := int(float64(p.N)*share) / 2
	if pairs == 0 {
		return nil
	}
	perm := make([]int32, p.N)
	for i := range perm {
		perm[i] = int32(i)
	}
	s := rng.NewStream(rng.Key(seed, "population/partners"))
	for i := p.N - 1; i > 0; i-- {
		if i%(64*stopChunk) == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		j := int(s.Below(uint64(i + 1)))
		perm[i], perm[j] = perm[j], perm[i]
	}
	for k := 0; k < pairs; k++ {
		a, b := perm[2*k], perm[2*k+1]
		p.Partner[a], p.Partner[b] = b, a
	}
	return nil
}

func matches(region, group, age, r, g, a string) bool {
	return (region == "" || region == r) && (group == "" || group == g) && (age == "" || age == a)
}

func cumulative(s scenario.Shares) []float64 {
	out := make([]float64, len(s))
	acc := 0.0
	for i, x := range s {
		acc += x.Value
		out[i] = acc
	}
	return out
}

func pickCum(cum []float64, u float64) int {
	total := cum[len(cum)-1]
	for i, c := range cum {
		if u*total < c {
			return i
		}
	}
	return len(cum) - 1
}

// apportion splits n into integer counts proportional to shares (largest
// remainder; ties go to the earlier entry).
func apportion(n int, shares []float64) []int {
	total := 0.0
	for _, s := range shares {
		total += s
	}
	counts := make([]int, len(shares))
	rem := make([]float64, len(shares))
	used := 0
	for i, s := range shares {
		x := float64(n) * s / total
		counts[i] = int(x)
		rem[i] = x - float64(counts[i])
		used += counts[i]
	}
	for ; used < n; used++ {
		best := 0
		for i := range rem {
			if rem[i] > rem[best] {
				best = i
			}
		}
		counts[best]++
		rem[best] = -1
	}
	return counts
}
