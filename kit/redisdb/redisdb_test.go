package redisdb

import (
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestCheckDown covers the DOWN entry against a port nothing ever listened
// on; TestCheckRealServer covers UP and a server going away.
func TestCheckDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	c, err := Open(Config{Host: "127.0.0.1", Port: port, Password: "hunter2-secret"}, prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	st := c.Check(t.Context())
	if st.Status != "DOWN" || st.Details["host"] != "127.0.0.1:"+strconv.Itoa(port) || st.Details["error"] == nil {
		t.Errorf("Check() = %+v, want DOWN with host and error", st)
	}
	if strings.Contains(st.Details["error"].(string), "hunter2") {
		t.Errorf("details leak the password: %v", st.Details)
	}
}
