// Plain HTTP requests to the app, outside the timed load.

package main

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"regexp"
)

func confirmState(base, loginID, email string) string {
	body := post(base+"/password-resetting/confirm", url.Values{"login_id": {loginID}, "email": {email}})
	m := stateField.FindStringSubmatch(body)
	if m == nil {
		log.Fatalf("no state on step 2:\n%s", body)
	}
	return m[1]
}

var stateField = regexp.MustCompile(`name="state" value="([^"]+)"`)

func get(target string) ([]byte, error) {
	res, err := http.Get(target)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	return io.ReadAll(res.Body)
}

func post(target string, form url.Values) string {
	res, err := http.PostForm(target, form)
	if err != nil {
		log.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return string(body)
}

// fetch GETs target, or POSTs form to it, and wants a 200.
func fetch(hc *http.Client, target string, form url.Values) (string, error) {
	var res *http.Response
	var err error
	if form == nil {
		res, err = hc.Get(target)
	} else {
		res, err = hc.PostForm(target, form)
	}
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err == nil && res.StatusCode != http.StatusOK {
		err = fmt.Errorf("%s: status %d", target, res.StatusCode)
	}
	return string(body), err
}
