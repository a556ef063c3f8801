package main

import (
	"syscall"
	"testing"
	"time"

	"github.com/grafsync/grafsync/internal/grafana/grafanatest"
	"github.com/grafsync/grafsync/internal/serve/servetest"
)

// TestServeFleetLock: two replicas split a fleet through one PostgreSQL
// advisory lock per instance; when the holder is killed, the other takes
// its instances over and reverts a hand edit. Credentials are the
// instances' own (GRAFANA_URL and GRAFANA_TOKEN, set by startServe for the
// first emulator, are ignored).
func TestServeFleetLock(t *testing.T) {
	dsn := servetest.Postgres(t)
	emuOne, _ := grafanatest.Start(t, grafanatest.Options{Seed: 1})
	emuTwo, _ := grafanatest.Start(t, grafanatest.Options{Seed: 2})
	keyOne, _ := emuOne.AddServiceAccountToken(1, "fleet", "Admin")
	keyTwo, _ := emuTwo.AddServiceAccountToken(1, "fleet", "Admin")
	repo := writeServeRepo(t, map[string]string{
		"grafsync.yaml": "instances:\n" +
			"  - {name: one, url: '${URL_ONE}', token: '${TOK_ONE}', vars: {who: One}}\n" +
			"  - {name: two, url: '${URL_TWO}', token: '${TOK_TWO}', vars: {who: Two}}\n",
		"dashboards/d.json": `{"uid": "d", "title": "D ${fleet.who}", "panels": []}`,
	})
	env := []string{"GRAFSYNC_LOCK_DSN=" + dsn, "URL_ONE=" + emuOne.Replicas()[0].URL(), "TOK_ONE=" + keyOne,
		"URL_TWO=" + emuTwo.Replicas()[0].URL(), "TOK_TWO=" + keyTwo}
	args := []string{"--interval", "200ms", "--lock-retry", "200ms"}
	held := func(in string) string { return `grafsync_lock_held{instance="` + in + `"}` }

	a := startServe(t, emuOne, repo, env, args...)
	waitUntil(t, "replica A to converge both instances", func() bool {
		return dashboardTitle(emuOne, "d") == "D One" && dashboardTitle(emuTwo, "d") == "D Two"
	})
	if a.metric(held("one")) != 1 || a.metric(held("two")) != 1 {
		t.Fatalf("replica A should hold both instances' locks")
	}
	b := startServe(t, emuOne, repo, env, args...)
	time.Sleep(600 * time.Millisecond)
	if b.metric(held("one")) != 0 || b.metric(held("two")) != 0 {
		t.Fatalf("replica B holds a lock replica A holds")
	}
	if code, _ := a.signal(syscall.SIGKILL, 10*time.Second); code != -1 {
		t.Errorf("replica A after SIGKILL: exit status %d, want -1", code)
	}
	if err := emuTwo.EditDashboard(1, "d", func(m map[string]any) { m["title"] = "Edited by hand" }); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	waitUntil(t, "replica B to take both instances over", func() bool { return b.metric(held("one")) == 1 && b.metric(held("two")) == 1 })
	t.Logf("replica B took both locks %v after A was killed (--lock-retry 200ms)", time.Since(killed).Round(time.Millisecond))
	waitUntil(t, "replica B to revert the hand edit on instance two", func() bool { return dashboardTitle(emuTwo, "d") == "D Two" })
	// The run is recorded after its datasource check, a few ms after the
	// save the emulator shows: wait for it rather than race it.
	waitUntil(t, `grafsync_instance_up{instance="two"} to be 1`, func() bool { return b.metric(`grafsync_instance_up{instance="two"}`) == 1 })
	if code, _ := b.signal(syscall.SIGTERM, 10*time.Second); code != 0 {
		t.Errorf("replica B after SIGTERM: exit status %d, want 0", code)
	}
}
