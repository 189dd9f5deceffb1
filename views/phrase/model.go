package phrase

import (
	_ "embed"
	"encoding/json"
	"sync"
)

// jaModel is BudouX's Japanese model (Apache-2.0, Google LLC), written by
// `npm run vendor` from the npm package budoux; see package.json.
//
//go:embed ja.json
var jaModel []byte

// feature is one of BudouX's features: the text from start to end
// (relative to a possible boundary) looked up in the model's group.
type feature struct {
	group      string
	start, end int
}

// features are the unigrams (UW), bigrams (BW) and trigrams (TW) around a
// boundary, in the order of BudouX's parser.
var features = [...]feature{
	{"UW1", -3, -2}, {"UW2", -2, -1}, {"UW3", -1, 0}, {"UW4", 0, 1}, {"UW5", 1, 2}, {"UW6", 2, 3},
	{"BW1", -2, 0}, {"BW2", -1, 1}, {"BW3", 0, 2},
	{"TW1", -3, 0}, {"TW2", -2, 1}, {"TW3", -1, 2}, {"TW4", 0, 3},
}

// model holds the scores of one language's features.
type model struct {
	scores [len(features)]map[string]int
	total  int // the sum of every score in the model, of every group
}

// loadModel parses a BudouX model: {"UW1": {"あ": 123, …}, …}.
func loadModel(data []byte) (*model, error) {
	var groups map[string]map[string]int
	if err := json.Unmarshal(data, &groups); err != nil {
		return nil, err
	}
	m := &model{}
	for _, g := range groups {
		for _, score := range g {
			m.total += score
		}
	}
	for i, f := range features {
		m.scores[i] = groups[f.group]
	}
	return m, nil
}

var japanese = sync.OnceValue(func() *model {
	m, err := loadModel(jaModel)
	if err != nil {
		panic("phrase: the embedded Japanese model: " + err.Error())
	}
	return m
})

// boundaries returns where BudouX would break s: each index i (in runes)
// such that a phrase ends before rune i. Like BudouX, a feature reaching
// past either end of s is cut short at that end, and a boundary is one
// whose score, the model's base score (minus half its total) plus the
// scores of its features, is positive. BudouX counts UTF-16 units, this
// counts runes: they differ only beyond the BMP, where the model has no
// scores.
func (m *model) boundaries(s string) []int {
	// at[i] is the byte offset of rune i, so that a feature is a
	// substring of s, looked up without allocating.
	var at []int
	for i := range s {
		at = append(at, i)
	}
	at = append(at, len(s))
	n := len(at) - 1
	var out []int
	for i := 1; i < n; i++ {
		sum := 0
		for k, f := range features {
			start, end := max(0, min(i+f.start, n)), max(0, min(i+f.end, n))
			if start < end {
				sum += m.scores[k][s[at[start]:at[end]]]
			}
		}
		if 2*sum > m.total {
			out = append(out, i)
		}
	}
	return out
}
