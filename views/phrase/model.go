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
// such that a phrase ends before s[i]. Like BudouX, a feature reaching past
// either end of s is cut short at that end, and a boundary is one whose
// score, the model's base score (minus half its total) plus the scores of
// its features, is positive.
func (m *model) boundaries(s []rune) []int {
	var out []int
	for i := 1; i < len(s); i++ {
		sum := 0
		for k, f := range features {
			if key := clamped(s, i+f.start, i+f.end); key != "" {
				sum += m.scores[k][key]
			}
		}
		if 2*sum > m.total {
			out = append(out, i)
		}
	}
	return out
}

// clamped is s[start:end] with both ends held within s, as JavaScript's
// substring does.
func clamped(s []rune, start, end int) string {
	start, end = max(0, min(start, len(s))), max(0, min(end, len(s)))
	return string(s[start:end])
}
