package mgmt

import (
	"net/url"
	"strconv"
	"time"
)

// RateWindow is what every rate mqtop shows is averaged over. The broker's
// plain "rate" is the difference of its last two statistics samples: at a
// 5 s statistics interval polled every 2 s it reads 0 on most polls while
// messages flow. Asked for a window (msg_rates_age, msg_rates_incr) the API
// adds avg_rate, the messages counted between samples 30 s apart divided by
// the time between them: true at any statistics interval up to the window,
// and 0 only when nothing moved in it.
const RateWindow = 30 * time.Second

var (
	rateWindowAge  = strconv.Itoa(int(RateWindow / time.Second))
	rateWindowIncr = "5" // the broker keeps samples every 5 s for the first minutes
)

// withRateWindow asks for rates averaged over RateWindow.
func withRateWindow(v url.Values) url.Values {
	v.Set("msg_rates_age", rateWindowAge)
	v.Set("msg_rates_incr", rateWindowIncr)
	return v
}
