package kit

import (
	"fmt"
	"net"
)

// steer asks the listener's port group to send new connections to the
// newest revision (see listen_linux.go). A failure is a warning, not an
// error: the service serves, but a redeploy may reset the connections
// still waiting in its queue when it closes.
func (a *App) steer(name string, ln net.Listener) {
	if err := steerToNewest(ln); err != nil {
		a.logger.Warn(fmt.Sprintf("%s listener: new connections are not steered to the newest revision: %v", name, err))
	}
}
