// The ops listener's own routes (/healthz, /readyz, /circuit-breakers, /metrics) and the
// descriptions of the metrics the server exports.
#pragma once

#include "lp/http/router.hpp"
#include "lp/metrics/registry.hpp"
#include "lp/payments/payment_service.hpp"
#include "lp/routing/breaker.hpp"
#include "lp/store/store.hpp"
#include "lp/webhooks/dispatcher.hpp"

namespace lp::app {

// HELP and TYPE of every metric the registry holds.
void DescribeMetrics(metrics::Registry& m);

// A router with the ops routes; the ops API, audit and incident routes are added to it after.
http::Router OpsRouter(store::Store& store, metrics::Registry& reg,
                       webhooks::Dispatcher& dispatcher, routing::BreakerBoard& breakers,
                       payments::PaymentService& payments);

}  // namespace lp::app
