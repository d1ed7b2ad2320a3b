// The Stripe connector's descriptor (connectors/stripe/): PaymentIntents and Refunds, pm_…
// payment methods, credentials {secret_key, webhook_secret}, Stripe-Signature webhooks.
#pragma once

#include "lp/connectors/descriptor.hpp"

namespace lp::connectors::stripe {
const ConnectorDescriptor& Descriptor();
}  // namespace lp::connectors::stripe
