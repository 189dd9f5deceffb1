package console

import (
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"aikagi/views/viewtest"
)

func testChart(grouped bool) Chart {
	return Chart{
		ID: "c", Title: "依頼 — 直近24時間", Desc: "1時間ごとの棒グラフです。", Total: "直近24時間: 依頼 9件", Key: "時刻", Table: "数値を表で見る",
		Series:  []string{"一致", "不一致"},
		Grouped: grouped,
		Bars: []Bar{
			{Axis: "00時", Row: "0時台", Values: []int{3, 1}},
			{Row: "1時台", Values: []int{0, 0}},
			{Axis: "02時", Row: "2時台", Values: []int{5, 0}},
		},
	}
}

// attrFloat reads a number attribute of s.
func attrFloat(t *testing.T, s *goquery.Selection, name string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(s.AttrOr(name, ""), 64)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return f
}

// cells are the texts of a table row's cells, between spaces.
func cells(tr *goquery.Selection) string {
	var out []string
	tr.Children().Each(func(_ int, c *goquery.Selection) { out = append(out, c.Text()) })
	return strings.Join(out, " ")
}

func TestBarChart(t *testing.T) {
	doc := viewtest.Render(t, BarChart(testChart(false)))

	// The picture is named by its title and description.
	svg := doc.Find("svg[role=img]")
	if svg.Length() != 1 {
		t.Fatalf("%d charts", svg.Length())
	}
	var names []string
	for _, id := range strings.Fields(svg.AttrOr("aria-labelledby", "")) {
		names = append(names, doc.Find("#"+id).Text())
	}
	if strings.Join(names, " | ") != "依頼 — 直近24時間 | 1時間ごとの棒グラフです。 直近24時間: 依頼 9件" {
		t.Errorf("accessible name: %q", names)
	}
	if got := doc.Find("#c-total").Text(); got != "直近24時間: 依頼 9件" {
		t.Errorf("total: %q", got)
	}

	// One rectangle per figure above zero, stacked: the bars 3+1 and 5.
	segs := doc.Find("rect[data-series]")
	if segs.Length() != 3 {
		t.Fatalf("%d segments, want 3", segs.Length())
	}
	first, second, third := segs.Eq(0), segs.Eq(1), segs.Eq(2)
	if first.AttrOr("x", "") != second.AttrOr("x", "") {
		t.Error("the first bar's segments are not stacked")
	}
	if y, h := attrFloat(t, first, "y"), attrFloat(t, second, "y")+attrFloat(t, second, "height"); y != h {
		t.Errorf("the second segment (bottom %v) does not sit on the first (top %v)", h, y)
	}
	// The scale runs to 5, the tallest bar: it reaches the top, and a
	// figure of 1 is a fifth of it.
	if h5, h1 := attrFloat(t, third, "height"), attrFloat(t, second, "height"); h5 != 5*h1 {
		t.Errorf("heights %v and %v are not 5:1", h5, h1)
	}
	// The second series is told apart by a pattern, not by colour only.
	if second.Next().AttrOr("fill", "") != "url(#c-p1)" || doc.Find("pattern#c-p1").Length() != 1 {
		t.Error("the second series has no pattern")
	}
	if strings.Contains(first.Next().AttrOr("fill", ""), "url(") {
		t.Error("the first series has a pattern")
	}

	// Axis labels where given; the legend names the series.
	var axis []string
	doc.Find("svg[role=img] text[text-anchor=middle]").Each(func(_ int, s *goquery.Selection) { axis = append(axis, s.Text()) })
	if strings.Join(axis, ",") != "00時,02時" {
		t.Errorf("axis labels %v", axis)
	}
	if got := viewtest.Text(t, doc, "figure ul"); got != "一致 不一致" {
		t.Errorf("legend %q", got)
	}

	// The table has every figure, zeros included.
	var rows []string
	doc.Find("#c-table tbody tr").Each(func(_ int, tr *goquery.Selection) {
		rows = append(rows, cells(tr))
	})
	if strings.Join(rows, " / ") != "0時台 3 1 / 1時台 0 0 / 2時台 5 0" {
		t.Errorf("table rows %q", rows)
	}
	if got := cells(doc.Find("#c-table thead tr")); got != "時刻 一致 不一致" {
		t.Errorf("table head %q", got)
	}
}

// Grouped bars stand side by side from the axis, each to its own height.
func TestBarChartGrouped(t *testing.T) {
	doc := viewtest.Render(t, BarChart(testChart(true)))
	segs := doc.Find("rect[data-series]")
	if segs.Length() != 3 {
		t.Fatalf("%d bars, want 3", segs.Length())
	}
	a, b := segs.Eq(0), segs.Eq(1)
	if attrFloat(t, b, "x") <= attrFloat(t, a, "x") {
		t.Error("the first bucket's bars overlap")
	}
	if attrFloat(t, a, "y")+attrFloat(t, a, "height") != attrFloat(t, b, "y")+attrFloat(t, b, "height") {
		t.Error("the bars do not both stand on the axis")
	}
}

func TestNiceMax(t *testing.T) {
	for n, want := range map[int]int{0: 1, 1: 1, 2: 2, 3: 5, 5: 5, 6: 10, 11: 20, 120: 200, 501: 1000} {
		if got := niceMax(n); got != want {
			t.Errorf("niceMax(%d) = %d, want %d", n, got, want)
		}
	}
}
