// The merchant API (/v1/...): thin handlers that parse, authenticate, call a core service and
// render. Every route declares its permission in the route table.
#pragma once

#include "lp/common/clock.hpp"
#include "lp/core/api_keys.hpp"
#include "lp/core/payments.hpp"
#include "lp/http/router.hpp"

namespace lp::api {

struct MerchantApiDeps {
  core::ApiKeyService& keys;
  core::PaymentService& payments;
};

void RegisterMerchantApi(http::Router& router, MerchantApiDeps deps);

}  // namespace lp::api
