// The security monitor's wiring (PRODUCT.md §5, docs/security-monitoring.md).
#pragma once

#include <boost/asio/io_context.hpp>

#include "app/config.hpp"
#include "lp/merchants/api_keys.hpp"
#include "lp/metrics/registry.hpp"
#include "lp/security/monitor.hpp"

namespace lp::app {

// Detector thresholds and containment from the config; events counted in
// liasonpay_security_events_total; a key revoked on `ioc` as system/security_monitor.
// `reg`, `ioc` and `keys` must outlive the monitor.
security::MonitorOptions MonitorOptionsFrom(const Config& c, metrics::Registry& reg,
                                            boost::asio::io_context& ioc,
                                            merchants::ApiKeyService& keys);

}  // namespace lp::app
