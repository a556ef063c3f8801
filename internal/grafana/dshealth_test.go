package grafana

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/grafsync/grafsync/internal/grafana/grafanatest"
)

// CheckDatasourceHealth turns Grafana's 200/400 answers (§6.6) into a
// verdict and everything else into an error with Grafana's status.
func TestCheckDatasourceHealth(t *testing.T) {
	emu, rep := grafanatest.Start(t, grafanatest.Options{})
	for _, s := range []grafanatest.DatasourceSpec{
		{UID: "thanos", Name: "Thanos", Type: "prometheus", URL: "http://thanos:10902"},
		{UID: "loki", Name: "Loki", Type: "loki"},
		{UID: "odd", Name: "Odd", Type: "acme-odd-datasource"},
	} {
		if _, err := emu.SeedDatasource(1, s); err != nil {
			t.Fatal(err)
		}
	}
	emu.SetHealthFault("loki", &grafanatest.HealthFault{})
	c := newTestClient(t, Config{URLs: []string{rep.URL()}})
	h, err := c.CheckDatasourceHealth(t.Context(), "thanos")
	if diff := cmp.Diff(DatasourceHealth{OK: true, Message: "Successfully queried the Prometheus API."}, h); diff != "" || err != nil {
		t.Errorf("thanos: %v (-want +got):\n%s", err, diff)
	}
	h, err = c.CheckDatasourceHealth(t.Context(), "loki")
	if diff := cmp.Diff(DatasourceHealth{Message: "Unable to connect with Loki. Please check the server logs for more details."}, h); diff != "" || err != nil {
		t.Errorf("loki: %v (-want +got):\n%s", err, diff)
	}
	for uid, status := range map[string]int{"odd": 404, "gone": 500, "bad uid": 400} {
		if _, err := c.CheckDatasourceHealth(t.Context(), uid); !IsStatus(err, status) {
			t.Errorf("%s: error %v, want status %d", uid, err, status)
		}
	}
	refs, err := c.ListDatasources(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(refs) != 3 {
		t.Errorf("listed %v", refs)
	}
}

// A health check waits on the plugin's own query: an attempt may take
// longer than Config.Timeout, which bounds ordinary API calls.
func TestCheckDatasourceHealthOutlastsRequestTimeout(t *testing.T) {
	emu, rep := grafanatest.Start(t, grafanatest.Options{})
	if _, err := emu.SeedDatasource(1, grafanatest.DatasourceSpec{UID: "slow", Name: "Slow", Type: "tempo"}); err != nil {
		t.Fatal(err)
	}
	emu.SetHealthFault("slow", &grafanatest.HealthFault{Message: "504 Gateway Timeout", Delay: 200 * time.Millisecond})
	c := newTestClient(t, Config{URLs: []string{rep.URL()}, Timeout: 20 * time.Millisecond, Retry: RetryPolicy{MaxAttempts: 1}})
	h, err := c.CheckDatasourceHealth(t.Context(), "slow")
	if err != nil || h.OK || h.Message != "504 Gateway Timeout" {
		t.Errorf("slow check: %+v, %v; want the plugin's verdict", h, err)
	}
}
