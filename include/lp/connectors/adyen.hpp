// The Adyen connector's descriptor (connectors/adyen/): Checkout API v71, encrypted card fields
// as the payment method, credentials {api_key, merchant_account, hmac_key, live_url_prefix?},
// HMAC-signed notifications answered with [accepted].
#pragma once

#include "lp/connectors/descriptor.hpp"

namespace lp::connectors::adyen {
const ConnectorDescriptor& Descriptor();
}  // namespace lp::connectors::adyen
